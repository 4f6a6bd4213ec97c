//! `scan --installed`: the default install and home folders of every product, from the
//! checklist (Application Links Troubleshooting Guide, items 2 and 12): Linux installers put the install under
//! `/opt/atlassian/<app>` and the home under `/var/atlassian/application-data/<app>`;
//! Windows installs go under `C:\Program Files\Atlassian\<app>` or `C:\Atlassian\<app>`.
//! Each found folder contributes its log folders: `<home>/log` and `<home>/logs`,
//! `<install>/logs`, Crowd's `<install>/apache-tomcat/logs`, Fisheye/Crucible's
//! `<install>/var/log`.

use crate::model::Product;
use std::path::{Path, PathBuf};

/// Folder names a product is installed under.
fn app_names(p: Product) -> &'static [&'static str] {
    match p {
        Product::Jira => &["jira"],
        Product::Confluence => &["confluence"],
        Product::Bitbucket => &["bitbucket", "stash"],
        Product::Bamboo => &["bamboo"],
        Product::Crowd => &["crowd"],
        Product::Fisheye => &["fisheye", "crucible", "fecru"],
    }
}

/// Roots of the default layouts, relative to the file-system root, and what they hold.
const LINUX_ROOTS: [(&str, Kind); 2] = [
    ("opt/atlassian", Kind::Install),
    ("var/atlassian/application-data", Kind::Home),
];
const WINDOWS_ROOTS: [(&str, Kind); 2] = [
    (r"C:\Program Files\Atlassian", Kind::Install),
    (r"C:\Atlassian", Kind::Install),
];
const LOG_DIRS: [&str; 4] = ["log", "logs", "apache-tomcat/logs", "var/log"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Install,
    Home,
}

/// One default folder that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub product: Product,
    pub kind: Kind,
    pub dir: PathBuf,
    /// Its log folders that exist.
    pub log_dirs: Vec<PathBuf>,
}

impl Installed {
    /// `jira install /opt/atlassian/jira (logs: /opt/atlassian/jira/logs)`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            Kind::Install => "install",
            Kind::Home => "home",
        };
        let logs: Vec<String> = self
            .log_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        let logs = if logs.is_empty() {
            "no log folder".to_string()
        } else {
            format!("logs: {}", logs.join(", "))
        };
        format!("{} {kind} {} ({logs})", self.product, self.dir.display())
    }
}

/// The default folders found under `root` (`/` normally), in product order.
pub fn find(root: &Path) -> Vec<Installed> {
    let mut roots: Vec<(PathBuf, Kind)> = LINUX_ROOTS
        .iter()
        .map(|(r, k)| (root.join(r), *k))
        .collect();
    if cfg!(windows) {
        roots.extend(WINDOWS_ROOTS.iter().map(|(r, k)| (PathBuf::from(r), *k)));
    }
    let mut found = Vec::new();
    for product in Product::ALL {
        for (base, kind) in &roots {
            for name in app_names(product) {
                let dir = base.join(name);
                if !dir.is_dir() {
                    continue;
                }
                let log_dirs = LOG_DIRS
                    .iter()
                    .map(|l| dir.join(l))
                    .filter(|d| d.is_dir())
                    .collect();
                found.push(Installed {
                    product,
                    kind: *kind,
                    dir,
                    log_dirs,
                });
            }
        }
    }
    found
}

/// Where `--installed` looked, for the "nothing found" message.
pub fn searched(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = LINUX_ROOTS
        .iter()
        .map(|(r, _)| format!("{}/<app>", root.join(r).display()))
        .collect();
    if cfg!(windows) {
        out.extend(WINDOWS_ROOTS.iter().map(|(r, _)| format!(r"{r}\<app>")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_default_layouts() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("opt/atlassian/jira/logs")).unwrap();
        std::fs::create_dir_all(r.join("var/atlassian/application-data/jira/log")).unwrap();
        std::fs::create_dir_all(r.join("opt/atlassian/crowd/apache-tomcat/logs")).unwrap();
        std::fs::create_dir_all(r.join("opt/atlassian/fecru/var/log")).unwrap();
        let found = find(r);
        let got: Vec<(Product, Kind, usize)> = found
            .iter()
            .map(|f| (f.product, f.kind, f.log_dirs.len()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Product::Jira, Kind::Install, 1),
                (Product::Jira, Kind::Home, 1),
                (Product::Crowd, Kind::Install, 1),
                (Product::Fisheye, Kind::Install, 1),
            ]
        );
        assert!(found[2].describe().contains("apache-tomcat/logs"));
        assert!(find(&r.join("nothing")).is_empty());
    }
}
