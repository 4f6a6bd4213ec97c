//! Finds product installations in the paths given to `check`/`snapshot` and loads their
//! configuration files into memory: install directories, home directories (walked a few
//! levels deep, so a folder holding both works) and support zips (read in place).
//!
//! Markers used to recognise a directory (the Application Links Troubleshooting Guide and the support-zip layout):
//! - Jira install: `atlassian-jira/`; Confluence: `confluence/` next to `conf/server.xml`;
//!   Bamboo: `atlassian-bamboo/`; Crowd: `apache-tomcat/conf/server.xml` with `crowd-webapp/`;
//!   Bitbucket 4.x: `atlassian-bitbucket/`; Stash: `atlassian-stash/`; Bitbucket 5+: `app/`
//!   with `bin/start-bitbucket.sh`.
//! - Bitbucket/Stash home: `shared/bitbucket.properties`, `shared/server.xml` or
//!   `[shared/]stash-config.properties`. Other products' homes (`dbconfig.xml`,
//!   `confluence.cfg.xml`, `bamboo.cfg.xml`, `crowd.cfg.xml`) hold no web-server settings.
//! - Fisheye/Crucible: a `config.xml` with a `<web-server>` element (the `FISHEYE_INST`).
//! - Version: `VERSION` or `version.txt` at the root, `pom.properties` (`version=`) under the
//!   webapp's `META-INF/maven`, `Implementation-Version` in its `META-INF/MANIFEST.MF`, then a
//!   version number in the install directory's name; in a support zip the `<Version>` of
//!   `application-properties/application.xml`.
//!
//! - A folder without those markers whose path names the product (`/opt/atlassian/jira`
//!   holding `conf/server.xml`; Crowd's `apache-tomcat/conf/server.xml`), or `--product`.
//! - A single configuration file given by itself: `server.xml` (`shared/server.xml` is
//!   Bitbucket's), `bitbucket.properties`, or a Fisheye `config.xml`; its product from what
//!   the file is, else `--product`, else its path (`--product` wins over a path, never over
//!   install markers or file contents).
//!
//! Every file is read through [`super::disk::read_regular_capped`] (regular files, size
//! cap); support zips through [`super::support_zip`], on the input stack `scan` uses.
//!
//! A Bitbucket/Stash install and home found in the same run are paired: by the
//! `BITBUCKET_HOME`/`STASH_HOME` the install's `bin/` scripts set, else by being the only home
//! in the install's parent folder (`/opt/x/install` + `/opt/x/home`), else when there is
//! exactly one of each left.

use super::disk::{self, MAX_CONFIG_BYTES};
use super::webconfig::looks_like_fisheye_config;
use crate::model::Product;
use crate::source::attribute::{config_role_of, product_of_folder};
use crate::source::decode::ReadLimits;
use crate::source::zip::has_zip_magic;
use crate::warning::Warning;
use regex::Regex;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use walkdir::WalkDir;

/// Largest `VERSION`, `pom.properties`, `MANIFEST.MF` or start script read for the version
/// or the home folder.
const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;
/// How deep below a given path installs and homes are looked for.
const MAX_DEPTH: usize = 6;
/// Folders never worth entering while looking for installs and homes.
const SKIP_DIRS: [&str; 12] = [
    ".git",
    "node_modules",
    "logs",
    "log",
    "caches",
    "temp",
    "tmp",
    "work",
    "export",
    "attachments",
    "index",
    "plugins",
];

static VERSION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+\.\d+(?:\.\d+)*)").expect("static regex"));

/// What a configuration file is for: the one role table of `source` (file names on disk
/// and in zips alike).
pub use crate::source::attribute::ConfigRole as Role;

/// One file loaded into memory.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    /// As shown in the report: the path on disk, or `zip!member`.
    pub path: String,
    pub role: Role,
    pub text: String,
}

/// A product installation found, with its files.
#[derive(Debug, Clone)]
pub struct Located {
    pub product: Product,
    pub stash: bool,
    pub roots: Vec<String>,
    /// The install directory on disk, for resolving relative keystore paths.
    pub install_dir: Option<PathBuf>,
    pub from_zip: bool,
    pub version: Option<(String, String)>,
    pub files: Vec<ConfigFile>,
}

impl Located {
    pub fn file(&self, role: Role) -> Option<&ConfigFile> {
        self.files.iter().find(|f| f.role == role)
    }
}

/// Reads a text file (regular, capped); a problem is a warning naming the file.
fn read_text(path: &Path, warnings: &mut Vec<Warning>) -> Option<String> {
    disk::read_text(path, MAX_CONFIG_BYTES)
        .map_err(|msg| warnings.push(Warning::new(path.display().to_string(), msg)))
        .ok()
}

/// A small file's text, or `None` (missing, not regular, too big: the version or home is
/// then looked for elsewhere, without a warning).
fn read_small(path: &Path) -> Option<String> {
    disk::read_text(path, MAX_SMALL_FILE_BYTES).ok()
}

/// Loads the file at `path` when it exists, with the role its name gives it
/// ([`config_role_of`], the table support zips use too).
fn push_file(files: &mut Vec<ConfigFile>, path: &Path, warnings: &mut Vec<Warning>) {
    let Some(role) = config_role_of(&path.to_string_lossy()) else {
        return;
    };
    // Present but not a regular file (a FIFO, a device): a warning from the reader.
    if fs::metadata(path).is_ok()
        && let Some(text) = read_text(path, warnings)
    {
        files.push(ConfigFile {
            path: path.display().to_string(),
            role,
            text,
        });
    }
}

/// What a directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DirKind {
    Install {
        product: Product,
        stash: bool,
        webapp: &'static str,
    },
    BitbucketHome {
        stash: bool,
    },
    FisheyeInst,
    /// A home directory of a product whose web-server settings are in the install.
    OtherHome(Product),
}

/// What `dir` is; `product_hint` (`--product`) names the product of a folder recognised
/// only by its `conf/server.xml` when its path does not.
fn classify_dir(dir: &Path, product_hint: Option<Product>) -> Option<DirKind> {
    let has = |rel: &str| dir.join(rel).exists();
    let install = |product, stash, webapp| {
        Some(DirKind::Install {
            product,
            stash,
            webapp,
        })
    };
    if has("apache-tomcat/conf/server.xml") && has("crowd-webapp") {
        return install(Product::Crowd, false, "crowd-webapp");
    }
    if has("atlassian-jira") {
        return install(Product::Jira, false, "atlassian-jira");
    }
    if has("confluence") && has("conf/server.xml") {
        return install(Product::Confluence, false, "confluence");
    }
    if has("atlassian-bamboo") {
        return install(Product::Bamboo, false, "atlassian-bamboo");
    }
    if has("atlassian-stash") {
        return install(Product::Bitbucket, true, "atlassian-stash");
    }
    if has("atlassian-bitbucket") {
        return install(Product::Bitbucket, false, "atlassian-bitbucket");
    }
    if has("app") && has("bin/start-bitbucket.sh") {
        return install(Product::Bitbucket, false, "app");
    }
    if has("shared/bitbucket.properties") || has("shared/server.xml") {
        let stash = has("shared/stash-config.properties");
        return Some(DirKind::BitbucketHome { stash });
    }
    if has("shared/stash-config.properties") || has("stash-config.properties") {
        return Some(DirKind::BitbucketHome { stash: true });
    }
    let config = dir.join("config.xml");
    if config.is_file()
        && disk::read_text(&config, MAX_CONFIG_BYTES).is_ok_and(|t| looks_like_fisheye_config(&t))
    {
        return Some(DirKind::FisheyeInst);
    }
    for (marker, product) in [
        ("dbconfig.xml", Product::Jira),
        ("confluence.cfg.xml", Product::Confluence),
        ("bamboo.cfg.xml", Product::Bamboo),
        ("crowd.cfg.xml", Product::Crowd),
    ] {
        if has(marker) {
            return Some(DirKind::OtherHome(product));
        }
    }
    // No marker: an install whose product only its path (or --product) names.
    let by_path = || product_hint.or_else(|| product_of_folder(&dir.to_string_lossy()));
    if has("apache-tomcat/conf/server.xml") && by_path() == Some(Product::Crowd) {
        return install(Product::Crowd, false, "crowd-webapp");
    }
    if has("conf/server.xml")
        && let Some(product) = by_path()
    {
        return match product {
            Product::Bitbucket => install(Product::Bitbucket, false, "app"),
            Product::Fisheye => None,
            Product::Crowd => None,
            _ => install(product, false, webapp_of(product)),
        };
    }
    None
}

/// The webapp folder of an install (where `seraph-config.xml` and the version files are).
fn webapp_of(product: Product) -> &'static str {
    match product {
        Product::Jira => "atlassian-jira",
        Product::Confluence => "confluence",
        Product::Bamboo => "atlassian-bamboo",
        Product::Crowd => "crowd-webapp",
        Product::Bitbucket => "app",
        Product::Fisheye => ".",
    }
}

fn first_version_in(text: &str) -> Option<String> {
    VERSION_RE.captures(text).map(|c| c[1].to_string())
}

/// The product version of an install directory, and where it was read.
fn install_version(dir: &Path, webapp: &str) -> Option<(String, String)> {
    for name in ["VERSION", "version.txt"] {
        let p = dir.join(name);
        if let Some(text) = read_small(&p)
            && let Some(v) = text.lines().find_map(first_version_in)
        {
            return Some((v, p.display().to_string()));
        }
    }
    let maven = dir.join(webapp).join("META-INF/maven");
    if maven.is_dir() {
        let mut poms: Vec<PathBuf> = WalkDir::new(&maven)
            .max_depth(3)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name() == "pom.properties")
            .map(|e| e.into_path())
            .collect();
        poms.sort();
        for pom in poms {
            if let Some(text) = read_small(&pom)
                && let Some(v) = super::properties::parse(&text).get("version")
                && let Some(v) = first_version_in(&v.value)
            {
                return Some((v, pom.display().to_string()));
            }
        }
    }
    let manifest = dir.join(webapp).join("META-INF/MANIFEST.MF");
    if let Some(text) = read_small(&manifest)
        && let Some(v) = text
            .lines()
            .find_map(|l| l.strip_prefix("Implementation-Version:"))
            .and_then(first_version_in)
    {
        return Some((v, manifest.display().to_string()));
    }
    let name = dir.file_name()?.to_str()?;
    first_version_in(name).map(|v| (v, format!("directory name {name}")))
}

/// `major.minor` of a version string.
pub fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts
        .next()
        .and_then(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
        .unwrap_or(0);
    Some((major, minor))
}

/// The home directory an install's start scripts point to, if they say.
fn declared_home(install: &Path) -> Option<PathBuf> {
    static HOME_RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)^\s*(?:export\s+)?(?:BITBUCKET_HOME|STASH_HOME)\s*=\s*["']?([^"'\s]+)"#)
            .expect("static regex")
    });
    for script in [
        "bin/set-bitbucket-home.sh",
        "bin/setenv.sh",
        "bin/set-stash-home.sh",
    ] {
        if let Some(text) = read_small(&install.join(script))
            && let Some(c) = HOME_RE.captures(&text)
        {
            return Some(PathBuf::from(&c[1]));
        }
    }
    None
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn load_install(
    dir: &Path,
    product: Product,
    webapp: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<ConfigFile> {
    let mut files = Vec::new();
    let tomcat = if product == Product::Crowd {
        dir.join("apache-tomcat")
    } else {
        dir.to_path_buf()
    };
    push_file(&mut files, &tomcat.join("conf/server.xml"), warnings);
    for script in ["bin/setenv.sh", "bin/setenv.bat", "bin/_start-webapp.sh"] {
        push_file(&mut files, &tomcat.join(script), warnings);
    }
    push_file(
        &mut files,
        &dir.join(webapp).join("WEB-INF/classes/seraph-config.xml"),
        warnings,
    );
    files
}

fn load_bitbucket_home(dir: &Path, warnings: &mut Vec<Warning>) -> Vec<ConfigFile> {
    let mut files = Vec::new();
    push_file(
        &mut files,
        &dir.join("shared/bitbucket.properties"),
        warnings,
    );
    push_file(&mut files, &dir.join("shared/server.xml"), warnings);
    files
}

/// A Bitbucket/Stash install directory: path, whether it is Stash, its webapp folder.
type InstallDir = (PathBuf, bool, &'static str);
/// A Bitbucket/Stash home directory: path, whether it is Stash.
type HomeDir = (PathBuf, bool);

struct Found {
    dir: PathBuf,
    kind: DirKind,
}

/// Folders named in a "looked at" list, at most.
const LOOKED_AT_SHOWN: usize = 8;

/// Walks `root` for installs and homes; returns the folders looked at.
fn walk(
    root: &Path,
    product_hint: Option<Product>,
    out: &mut Vec<Found>,
    warnings: &mut Vec<Warning>,
) -> Vec<String> {
    let mut looked_at = Vec::new();
    let mut it = WalkDir::new(root)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                warnings.push(Warning::new(at, format!("cannot walk: {e}")));
                continue;
            }
        };
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if entry.depth() > 0 && SKIP_DIRS.contains(&name.as_str()) {
            it.skip_current_dir();
            continue;
        }
        looked_at.push(entry.path().display().to_string());
        if let Some(kind) = classify_dir(entry.path(), product_hint) {
            out.push(Found {
                dir: entry.path().to_path_buf(),
                kind,
            });
            it.skip_current_dir();
        } else if entry.path().join("conf/server.xml").is_file() {
            warnings.push(Warning::new(
                entry.path().display().to_string(),
                "holds conf/server.xml, but neither an install marker nor its path names the product: pass --product",
            ));
        }
    }
    looked_at
}

/// `a, b, c and 12 more folders`.
fn summarise(paths: &[String]) -> String {
    let mut s = paths
        .iter()
        .take(LOOKED_AT_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > LOOKED_AT_SHOWN {
        s.push_str(&format!(
            " and {} more folders",
            paths.len() - LOOKED_AT_SHOWN
        ));
    }
    s
}

/// How inputs are read.
pub struct Reading<'a> {
    /// The `--max-*` limits support zips are read under (those of `scan`).
    pub limits: &'a ReadLimits,
    /// `--product`: the product of inputs whose path or contents do not name one.
    pub product: Option<Product>,
}

/// The installations found, and what was looked at for each path given.
pub struct Search {
    pub located: Vec<Located>,
    /// Per path given: what it is and what was looked at, for "nothing read" messages.
    pub looked_at: Vec<String>,
}

/// The install (or home) folder a configuration file given by itself belongs to:
/// `<install>/conf/server.xml`, Crowd's `<install>/apache-tomcat/conf/server.xml`,
/// `<home>/shared/...`, else its own folder.
fn root_of_file(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new("."));
    let named = |p: &Path, n: &str| {
        p.file_name()
            .is_some_and(|f| f.to_string_lossy().eq_ignore_ascii_case(n))
    };
    let up = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
    if named(parent, "conf") || named(parent, "shared") {
        let root = up(parent);
        if named(&root, "apache-tomcat") {
            return up(&root);
        }
        return root;
    }
    parent.to_path_buf()
}

/// A `server.xml`, `bitbucket.properties` or Fisheye `config.xml` given by itself; the
/// error says why it was not read.
fn single_file(path: &Path, reading: &Reading) -> Result<Located, String> {
    let shown = path.display().to_string();
    let role = config_role_of(&shown).filter(|r| r.is_web_config());
    let Some(role) = role else {
        return Err(
            "not a support zip, a directory, nor a server.xml, bitbucket.properties or Fisheye config.xml"
                .into(),
        );
    };
    let text = disk::read_text(path, MAX_CONFIG_BYTES)?;
    if role == Role::FisheyeConfig && !looks_like_fisheye_config(&text) {
        return Err(
            "this config.xml has no <web-server> element: not a Fisheye/Crucible config.xml".into(),
        );
    }
    let root = root_of_file(path);
    // What the file is (bitbucket.properties, Fisheye config.xml), else --product, else
    // the path: --product wins over the path, as for folders.
    let product = role
        .product()
        .or(reading.product)
        .or_else(|| product_of_folder(&root.to_string_lossy()));
    let Some(product) = product else {
        return Err(
            "cannot tell which product this server.xml belongs to (no product name in its path): pass --product"
                .into(),
        );
    };
    let version = (role == Role::InstallServerXml)
        .then(|| install_version(&root, webapp_of(product)))
        .flatten();
    Ok(Located {
        product,
        stash: shown.to_ascii_lowercase().contains("stash"),
        roots: vec![root.display().to_string()],
        install_dir: Some(root),
        from_zip: false,
        version,
        files: vec![ConfigFile {
            path: shown,
            role,
            text,
        }],
    })
}

/// Finds every installation under `paths`. Paths that hold nothing recognisable, and homes
/// whose install is missing, are warnings.
pub fn locate(paths: &[PathBuf], reading: &Reading, warnings: &mut Vec<Warning>) -> Search {
    let mut found = Vec::new();
    let mut located = Vec::new();
    let mut looked_at = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let meta = fs::metadata(path);
        if meta.as_ref().is_ok_and(fs::Metadata::is_dir) {
            let before = found.len();
            let walked = walk(path, reading.product, &mut found, warnings);
            if found.len() == before {
                warnings.push(Warning::new(
                    &shown,
                    "no Atlassian install directory, Bitbucket/Stash home or Fisheye config.xml found here",
                ));
                looked_at.push(format!(
                    "no server.xml, bitbucket.properties or config.xml under {shown}; looked at: {}",
                    summarise(&walked)
                ));
            } else {
                looked_at.push(format!("{shown} ({} folders walked)", walked.len()));
            }
        } else if meta.as_ref().is_ok_and(fs::Metadata::is_file) {
            if has_zip_magic(path) {
                let before = located.len();
                let warned = warnings.len();
                located.extend(super::support_zip::read(
                    path,
                    reading.limits,
                    reading.product,
                    warnings,
                ));
                if located.len() == before {
                    // A zip that could not be opened at all has said so already.
                    let unreadable = warnings[warned..].iter().any(|w| w.path == shown);
                    if !unreadable {
                        warnings.push(Warning::new(
                            &shown,
                            "support zip without web-server configuration (no server.xml, bitbucket.properties, config.xml or application-properties/application.xml member)",
                        ));
                    }
                    looked_at.push(format!(
                        "no server.xml, bitbucket.properties or config.xml read from the support zip {shown}"
                    ));
                } else {
                    looked_at.push(format!("{shown} (support zip)"));
                }
            } else {
                match single_file(path, reading) {
                    Ok(l) => {
                        looked_at.push(format!("{shown} (configuration file)"));
                        located.push(l);
                    }
                    Err(why) => {
                        looked_at.push(format!("{shown}: {why}"));
                        warnings.push(Warning::new(shown, why));
                    }
                }
            }
        } else {
            let why = match &meta {
                Ok(_) => "not a regular file or directory (a device, FIFO or socket); not read"
                    .to_string(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    "no such file or directory".to_string()
                }
                Err(e) => format!("cannot read: {e}"),
            };
            looked_at.push(format!("{shown}: {why}"));
            warnings.push(Warning::new(shown, why));
        }
    }
    located.extend(assemble(found, warnings));
    Search { located, looked_at }
}

/// Turns found directories into instances, pairing Bitbucket/Stash installs with homes.
fn assemble(found: Vec<Found>, warnings: &mut Vec<Warning>) -> Vec<Located> {
    let mut out = Vec::new();
    let mut bb_installs = Vec::new();
    let mut bb_homes = Vec::new();
    let mut other_homes = Vec::new();
    for f in found {
        match f.kind {
            DirKind::Install {
                product: Product::Bitbucket,
                stash,
                webapp,
            } => bb_installs.push((f.dir, stash, webapp)),
            DirKind::Install {
                product,
                stash,
                webapp,
            } => {
                let files = load_install(&f.dir, product, webapp, warnings);
                out.push(Located {
                    product,
                    stash,
                    roots: vec![f.dir.display().to_string()],
                    version: install_version(&f.dir, webapp),
                    install_dir: Some(f.dir),
                    from_zip: false,
                    files,
                });
            }
            DirKind::BitbucketHome { stash } => bb_homes.push((f.dir, stash)),
            DirKind::FisheyeInst => {
                let mut files = Vec::new();
                push_file(&mut files, &f.dir.join("config.xml"), warnings);
                out.push(Located {
                    product: Product::Fisheye,
                    stash: false,
                    roots: vec![f.dir.display().to_string()],
                    version: install_version(&f.dir, "."),
                    install_dir: Some(f.dir),
                    from_zip: false,
                    files,
                });
            }
            DirKind::OtherHome(p) => other_homes.push((f.dir, p)),
        }
    }
    for (dir, product) in other_homes {
        if !out.iter().any(|l| l.product == product) {
            warnings.push(Warning::new(
                dir.display().to_string(),
                format!(
                    "this is a {product} home directory; {product}'s web-server configuration is in its install directory (Application Links Troubleshooting Guide, checklist item 2): pass that directory too"
                ),
            ));
        }
    }
    // Pair Bitbucket installs with homes.
    let mut homes: Vec<Option<(PathBuf, bool)>> = bb_homes.into_iter().map(Some).collect();
    let mut pairs: Vec<(Option<InstallDir>, Option<HomeDir>)> = Vec::new();
    let mut unpaired_installs = Vec::new();
    for inst in bb_installs {
        let declared = declared_home(&inst.0);
        let idx = declared
            .and_then(|d| {
                homes
                    .iter()
                    .position(|h| h.as_ref().is_some_and(|(hd, _)| same_dir(hd, &d)))
            })
            .or_else(|| {
                // Else the one home that sits next to the install (same parent folder).
                let siblings: Vec<usize> = homes
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        h.as_ref().is_some_and(|(hd, _)| {
                            hd.parent().is_some() && hd.parent() == inst.0.parent()
                        })
                    })
                    .map(|(i, _)| i)
                    .collect();
                match siblings.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                }
            });
        match idx {
            Some(i) => pairs.push((Some(inst), homes[i].take())),
            None => unpaired_installs.push(inst),
        }
    }
    let mut rest_homes: Vec<(PathBuf, bool)> = homes.into_iter().flatten().collect();
    if unpaired_installs.len() == 1 && rest_homes.len() == 1 {
        pairs.push((unpaired_installs.pop(), rest_homes.pop()));
    }
    pairs.extend(unpaired_installs.into_iter().map(|i| (Some(i), None)));
    pairs.extend(rest_homes.into_iter().map(|h| (None, Some(h))));
    for (install, home) in pairs {
        let mut roots = Vec::new();
        let mut files = Vec::new();
        let mut stash = false;
        let mut version = None;
        let mut install_dir = None;
        if let Some((dir, is_stash, webapp)) = &install {
            roots.push(dir.display().to_string());
            files.extend(load_install(dir, Product::Bitbucket, webapp, warnings));
            stash |= *is_stash;
            version = install_version(dir, webapp);
            install_dir = Some(dir.clone());
        }
        if let Some((dir, is_stash)) = &home {
            roots.push(dir.display().to_string());
            files.extend(load_bitbucket_home(dir, warnings));
            stash |= *is_stash;
        }
        if let Some((v, _)) = &version
            && major_minor(v).is_some_and(|(major, _)| major < 4)
        {
            stash = true;
        }
        if install.is_none()
            && let Some((dir, _)) = &home
        {
            warnings.push(Warning::new(
                dir.display().to_string(),
                "Bitbucket/Stash home without its install directory: the version (which decides the effective file) and the install's conf/server.xml are unknown; pass the install directory too",
            ));
        }
        out.push(Located {
            product: Product::Bitbucket,
            stash,
            roots,
            install_dir,
            from_zip: false,
            version,
            files,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(major_minor("4.14.3"), Some((4, 14)));
        assert_eq!(major_minor("5"), Some((5, 0)));
        assert_eq!(major_minor("3.11-rc1"), Some((3, 11)));
        assert_eq!(
            first_version_in("atlassian-stash-3.7.1").as_deref(),
            Some("3.7.1")
        );
        assert_eq!(major_minor("x"), None);
    }

    #[test]
    fn roots_of_files_given_alone() {
        assert_eq!(
            root_of_file(Path::new("/opt/atlassian/jira/conf/server.xml")),
            Path::new("/opt/atlassian/jira")
        );
        assert_eq!(
            root_of_file(Path::new("/opt/crowd/apache-tomcat/conf/server.xml")),
            Path::new("/opt/crowd")
        );
        assert_eq!(
            root_of_file(Path::new("/var/bb/shared/bitbucket.properties")),
            Path::new("/var/bb")
        );
        assert_eq!(
            root_of_file(Path::new("/srv/fecru/config.xml")),
            Path::new("/srv/fecru")
        );
    }

    #[test]
    fn folders_named_by_path_or_product_flag() {
        let t = tempfile::tempdir().unwrap();
        let jira = t.path().join("opt/atlassian/jira");
        fs::create_dir_all(jira.join("conf")).unwrap();
        fs::write(jira.join("conf/server.xml"), "<Server/>").unwrap();
        let crowd = t.path().join("crowd");
        fs::create_dir_all(crowd.join("apache-tomcat/conf")).unwrap();
        fs::write(crowd.join("apache-tomcat/conf/server.xml"), "<Server/>").unwrap();
        let app = t.path().join("srv/app");
        fs::create_dir_all(app.join("conf")).unwrap();
        fs::write(app.join("conf/server.xml"), "<Server/>").unwrap();
        assert!(matches!(
            classify_dir(&jira, None),
            Some(DirKind::Install {
                product: Product::Jira,
                ..
            })
        ));
        assert!(matches!(
            classify_dir(&crowd, None),
            Some(DirKind::Install {
                product: Product::Crowd,
                ..
            })
        ));
        assert_eq!(classify_dir(&app, None), None);
        assert!(matches!(
            classify_dir(&app, Some(Product::Bamboo)),
            Some(DirKind::Install {
                product: Product::Bamboo,
                ..
            })
        ));
        assert_eq!(classify_dir(t.path(), None), None);
    }

    #[test]
    fn classify_and_pair() {
        let t = tempfile::tempdir().unwrap();
        let inst = t.path().join("install");
        let home = t.path().join("home");
        fs::create_dir_all(inst.join("atlassian-bitbucket")).unwrap();
        fs::create_dir_all(inst.join("conf")).unwrap();
        fs::write(inst.join("conf/server.xml"), "<Server/>").unwrap();
        fs::create_dir_all(home.join("shared")).unwrap();
        fs::write(home.join("shared/server.xml"), "<Server/>").unwrap();
        let mut w = Vec::new();
        let limits = ReadLimits::default();
        let reading = Reading {
            limits: &limits,
            product: None,
        };
        let l = locate(&[t.path().to_path_buf()], &reading, &mut w).located;
        assert_eq!(l.len(), 1, "{l:?}");
        assert_eq!(l[0].roots.len(), 2);
        assert!(l[0].file(Role::SharedServerXml).is_some());
        assert!(l[0].file(Role::InstallServerXml).is_some());
        assert!(w.is_empty(), "{w:?}");
    }
}
