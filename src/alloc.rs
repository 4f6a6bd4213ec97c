//! The process's allocator: the system's, except that over-aligned blocks (zlib-rs asks for
//! 64-byte alignment for its inflate state and window) are carved out of a plain `malloc`
//! block instead of coming from `posix_memalign`.
//!
//! Why: glibc's `posix_memalign` splits off the unaligned head and tail of a larger chunk
//! and frees them; with a fleet of small `.gz` files inflated on two threads, those small
//! pieces were reused for longer-lived objects and fragmented the per-thread arenas, so the
//! peak RSS of one and the same scan varied from 27 to 86 MB between runs (16 MB with the
//! ISA-L backend, which allocates no over-aligned block). Allocating `size + align` bytes
//! with `malloc` and keeping the real pointer in front of the aligned block costs at most
//! `align` bytes per block and leaves glibc nothing to split.
//!
//! [`tune`] also sets glibc's trim and mmap thresholds once at start-up, see there.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this size or larger get a mapping of their own ([`tune`]).
pub const MMAP_THRESHOLD: usize = 1 << 20;
/// Free memory at the top of an arena is given back above this much ([`tune`]).
pub const TRIM_THRESHOLD: usize = 8 << 20;

/// Sets glibc's malloc thresholds to fixed values: blocks of [`MMAP_THRESHOLD`] and more are
/// mapped on their own (the scanner's 8 MiB windows), smaller ones come from the arenas, and
/// an arena keeps up to [`TRIM_THRESHOLD`] of free memory at its top.
///
/// Why: each small `.gz` of a fleet share allocates about 540 KB (the 256 KiB input buffer,
/// ISA-L's state and its own input, the scan buffer) and frees it all at its end. With
/// glibc's defaults, a worker thread's arena gave that back at once (`madvise` with
/// `MADV_DONTNEED`, 591 times for 1,900 files) and the next file faulted the same pages in
/// again: a gzipped fleet share took 0.45 s on one thread, 0.19 s of it in the kernel.
/// With these thresholds it takes 0.26 s, 0.04 s in the kernel (`hyperfine`, 2026-12-03).
/// Peak RSS stays bounded: the arenas keep at most 8 MB of free memory each, and the big
/// windows are still mapped and unmapped on their own. Elsewhere than glibc this does
/// nothing.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let as_int = |v: usize| libc::c_int::try_from(v).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets allocator parameters; it is called before any other
        // thread exists. A refusal (return 0) leaves glibc's defaults, which are correct.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, as_int(MMAP_THRESHOLD));
            libc::mallopt(libc::M_TRIM_THRESHOLD, as_int(TRIM_THRESHOLD));
        }
    }
}

/// Blocks aligned at most this much come from the system allocator unchanged (glibc's
/// `malloc` aligns to 16 bytes on 64-bit targets).
const PLAIN_ALIGN: usize = 16;

pub struct Allocator;

/// Room in front of an aligned block for the pointer `malloc` returned.
const HEADER: usize = std::mem::size_of::<usize>();

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: same contract as ours.
            return unsafe { System.alloc(layout) };
        }
        // SAFETY: see `over_aligned`.
        unsafe { over_aligned(layout, false) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: same contract as ours.
            return unsafe { System.alloc_zeroed(layout) };
        }
        // SAFETY: see `over_aligned`.
        unsafe { over_aligned(layout, true) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: `ptr` came from `System` with this layout.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // SAFETY: `over_aligned` stored the real block's address just in front of `ptr`.
        unsafe {
            let real = ptr.sub(HEADER).cast::<*mut u8>().read_unaligned();
            System.dealloc(real, Layout::from_size_align_unchecked(1, 1));
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGN {
            // SAFETY: same contract as ours.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: the caller guarantees `new_size` with this alignment is a valid layout.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

/// Allocates `layout` (alignment above [`PLAIN_ALIGN`]) inside a plain block of
/// `size + align + HEADER` bytes and records the block's address in front of the result.
///
/// # Safety
/// `layout` has a non-zero size (the `GlobalAlloc` contract).
unsafe fn over_aligned(layout: Layout, zeroed: bool) -> *mut u8 {
    let Some(total) = layout
        .size()
        .checked_add(layout.align())
        .and_then(|n| n.checked_add(HEADER))
    else {
        return std::ptr::null_mut();
    };
    // SAFETY: `total` is non-zero; alignment 1 is always valid (System rounds up to 16).
    let real = unsafe {
        let plain = Layout::from_size_align_unchecked(total, 1);
        if zeroed {
            System.alloc_zeroed(plain)
        } else {
            System.alloc(plain)
        }
    };
    if real.is_null() {
        return real;
    }
    let first = real as usize + HEADER;
    let aligned = (first + layout.align() - 1) & !(layout.align() - 1);
    // SAFETY: `aligned - real` is at most `HEADER + align - 1`, so the result and its
    // `layout.size()` bytes, and the header in front of it, lie inside the `total` bytes.
    unsafe {
        let out = real.add(aligned - real as usize);
        out.sub(HEADER).cast::<*mut u8>().write_unaligned(real);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_aligned_blocks_are_aligned_writable_and_freed() {
        for align in [32, 64, 128, 4096] {
            for size in [1, 63, 64, 47_552, 1 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero sizes; every block is written inside its size and freed
                // with the layout it was allocated with.
                unsafe {
                    let p = Allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "align {align} size {size}");
                    std::ptr::write_bytes(p, 0xA5, size);
                    Allocator.dealloc(p, layout);
                    let z = Allocator.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    Allocator.dealloc(z, layout);
                }
            }
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_and_the_alignment() {
        for align in [8, 64] {
            let layout = Layout::from_size_align(100, align).unwrap();
            // SAFETY: as above; the grown block is freed with its new layout.
            unsafe {
                let p = Allocator.alloc(layout);
                for i in 0..100 {
                    p.add(i).write(i as u8);
                }
                let q = Allocator.realloc(p, layout, 10_000);
                assert_eq!(q as usize % align, 0);
                assert!((0..100).all(|i| q.add(i).read() == i as u8));
                Allocator.dealloc(q, Layout::from_size_align(10_000, align).unwrap());
            }
        }
    }
}
