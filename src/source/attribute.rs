//! Which product wrote a file and what the file is for (its role), judged from its name and
//! the folders around it. Works on paths on disk and on member names inside a support zip
//! alike (`/` or `\` separated). Sources, in order of trust:
//! - the file name: `atlassian-jira.log`, `atlassian-confluence.log`, `atlassian-bitbucket.log`
//!   (`atlassian-stash.log` before 4.0), `atlassian-bamboo.log`, `atlassian-crowd.log`,
//!   Fisheye/Crucible `atlassian-fisheye-YYYY-MM-DD.log` and `fisheye-debug.log*`, Tomcat
//!   `catalina.out` / `catalina.<date>.log` / access logs; rotated and gzipped siblings too;
//! - the support-zip folders: `application-logs/`, `tomcat-logs/`, `application-config/`,
//!   `application-properties/`;
//! - the install and home layouts of checklist item 12 (Application Links Troubleshooting Guide): `<home>/log` or
//!   `<home>/logs` for the product's own log, `<install>/logs` and Crowd's
//!   `<install>/apache-tomcat/logs` for Tomcat, Fisheye/Crucible `<install>/var/log`, with the
//!   product named by a folder (`/opt/atlassian/jira`, `jira-home`, `confluence-data`...).
//!
//! The configuration files `check` reads get their own role ([`ConfigRole`], by file name
//! and folder, on disk and in zips alike), and a folder path names a product through
//! [`product_of_folder`].

use super::Role;
use crate::model::Product;

/// Product named by a log file's own name, if it names one.
fn product_from_file_name(name: &str) -> Option<Product> {
    let name = name.to_ascii_lowercase();
    let name = name.strip_prefix("redacted-").unwrap_or(&name);
    let table: [(&str, Product); 8] = [
        ("atlassian-jira", Product::Jira),
        ("atlassian-confluence", Product::Confluence),
        ("atlassian-bitbucket", Product::Bitbucket),
        ("atlassian-stash", Product::Bitbucket),
        ("atlassian-bamboo", Product::Bamboo),
        ("atlassian-crowd", Product::Crowd),
        ("atlassian-fisheye", Product::Fisheye),
        ("fisheye-debug", Product::Fisheye),
    ];
    table
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, p)| *p)
}

/// Product named by a word such as a folder name or a support zip's name
/// (`jira-home`, `Confluence_support_2024-01-05`, `stash`, `crucible`).
pub fn product_from_word(word: &str) -> Option<Product> {
    Product::named_in(word)
}

/// The components of a path or member name, split on `/` and `\`.
fn components(path: &str) -> Vec<&str> {
    path.split(['/', '\\']).filter(|c| !c.is_empty()).collect()
}

/// Best guess of the product that wrote `path`: its file name first, then its folders
/// (nearest first).
pub fn product_of(path: &str) -> Option<Product> {
    let parts = components(path);
    let (name, dirs) = parts.split_last()?;
    product_from_file_name(name).or_else(|| dirs.iter().rev().find_map(|d| product_from_word(d)))
}

/// Best guess of the product a folder belongs to, from its own name and then its parents'
/// (`/opt/atlassian/jira` → Jira, `/srv/confluence/install` → Confluence).
pub fn product_of_folder(path: &str) -> Option<Product> {
    components(path)
        .iter()
        .rev()
        .find_map(|d| product_from_word(d))
}

/// What a configuration file read by `check` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigRole {
    /// Tomcat `server.xml` of the install (`conf/` or `apache-tomcat/conf/`), or the one a
    /// support zip collected (`tomcat-config/server.xml`).
    InstallServerXml,
    /// Bitbucket 4.x / Stash 3.8+ `<home>/shared/server.xml`.
    SharedServerXml,
    /// Bitbucket 5+ `<home>/shared/bitbucket.properties`.
    BitbucketProperties,
    /// Fisheye/Crucible `config.xml` (the caller checks it has `<web-server>`).
    FisheyeConfig,
    /// A support zip's `application-properties/application.xml`.
    ApplicationXml,
    /// Start scripts carrying JVM arguments (`setenv.sh`, `setenv.bat`, `_start-webapp.sh`).
    JvmScript,
    /// Authentication configuration (`seraph-config.xml`, an exported application-link
    /// configuration: a file whose name mentions `applink`).
    AuthConfig,
}

impl ConfigRole {
    /// The product only this kind of file belongs to.
    pub fn product(self) -> Option<Product> {
        match self {
            ConfigRole::BitbucketProperties | ConfigRole::SharedServerXml => {
                Some(Product::Bitbucket)
            }
            ConfigRole::FisheyeConfig => Some(Product::Fisheye),
            _ => None,
        }
    }

    /// Is this a web-server configuration file (one of those `check` chooses the effective
    /// file from)?
    pub fn is_web_config(self) -> bool {
        matches!(
            self,
            ConfigRole::InstallServerXml
                | ConfigRole::SharedServerXml
                | ConfigRole::BitbucketProperties
                | ConfigRole::FisheyeConfig
        )
    }
}

/// The configuration role of the file at `path` (a path on disk or a zip member name).
pub fn config_role_of(path: &str) -> Option<ConfigRole> {
    let parts = components(path);
    let (name, dirs) = parts.split_last()?;
    let name = name.to_ascii_lowercase();
    let parent = dirs.last().map(|d| d.to_ascii_lowercase());
    match name.as_str() {
        "server.xml" if parent.as_deref() == Some("shared") => Some(ConfigRole::SharedServerXml),
        "server.xml" => Some(ConfigRole::InstallServerXml),
        "bitbucket.properties" => Some(ConfigRole::BitbucketProperties),
        "config.xml" => Some(ConfigRole::FisheyeConfig),
        "application.xml"
            if dirs
                .iter()
                .any(|d| d.eq_ignore_ascii_case("application-properties")) =>
        {
            Some(ConfigRole::ApplicationXml)
        }
        "setenv.sh" | "setenv.bat" | "_start-webapp.sh" => Some(ConfigRole::JvmScript),
        "seraph-config.xml" => Some(ConfigRole::AuthConfig),
        _ if name.contains("applink")
            && [".xml", ".json", ".txt", ".properties"]
                .iter()
                .any(|e| name.ends_with(e)) =>
        {
            Some(ConfigRole::AuthConfig)
        }
        _ => None,
    }
}

/// Is this the name of a Tomcat log (`catalina.out`, `catalina.2024-01-31.log`, access logs,
/// `localhost.<date>.log`, manager logs)?
fn is_tomcat_log_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "catalina.",
        "localhost.",
        "localhost_access_log",
        "access_log",
        "manager.",
        "host-manager.",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// What the file at `path` is for, when its name or folders say so.
pub fn role_of(path: &str) -> Option<Role> {
    let parts = components(path);
    let (name, dirs) = parts.split_last()?;
    if product_from_file_name(name).is_some() {
        return Some(Role::Application);
    }
    if is_tomcat_log_name(name) {
        return Some(Role::Tomcat);
    }
    let lower: Vec<String> = dirs.iter().map(|d| d.to_ascii_lowercase()).collect();
    for (i, dir) in lower.iter().enumerate().rev() {
        let parent = i.checked_sub(1).map(|p| lower[p].as_str());
        match (parent, dir.as_str()) {
            (_, "application-logs") => return Some(Role::Application),
            (_, "tomcat-logs") => return Some(Role::Tomcat),
            (_, "application-config") => return Some(Role::Configuration),
            (_, "application-properties") => return Some(Role::Properties),
            // Crowd: <install>/apache-tomcat/logs; Fisheye/Crucible: <install>/var/log.
            (Some("apache-tomcat"), "logs") => return Some(Role::Tomcat),
            (Some("var"), "log") => return Some(Role::Application),
            // Jira, Bitbucket: <home>/log; Confluence, Crowd, Bamboo: <home>/logs or
            // <install>/logs. Only the file name tells those apart; a product-named log is
            // handled above, so what remains in `log` is the product's.
            (_, "log") => return Some(Role::Application),
            (_, "conf") => return Some(Role::Configuration),
            _ => {}
        }
    }
    let lname = name.to_ascii_lowercase();
    if lname == "server.xml" || lname.ends_with(".properties") || lname == "config.xml" {
        return Some(Role::Configuration);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dirs() {
        assert_eq!(product_of("/x/atlassian-jira.log.3"), Some(Product::Jira));
        assert_eq!(
            product_of("/x/atlassian-stash.log"),
            Some(Product::Bitbucket)
        );
        assert_eq!(
            product_of("/opt/atlassian/confluence/logs/catalina.out"),
            Some(Product::Confluence)
        );
        assert_eq!(
            product_of("/srv/crucible/var/log/x.log"),
            Some(Product::Fisheye)
        );
        assert_eq!(product_of("/tmp/catalina.out"), None);
        assert_eq!(
            product_of("application-logs/redacted-atlassian-bamboo.log.2.gz"),
            Some(Product::Bamboo)
        );
        assert_eq!(
            product_of(r"C:\Atlassian\Crowd\apache-tomcat\logs\catalina.out"),
            Some(Product::Crowd)
        );
    }

    #[test]
    fn roles() {
        assert_eq!(
            role_of("application-logs/atlassian-jira.log.1"),
            Some(Role::Application)
        );
        assert_eq!(role_of("tomcat-logs/catalina.out"), Some(Role::Tomcat));
        assert_eq!(
            role_of("/opt/atlassian/crowd/apache-tomcat/logs/catalina.2024-01-02.log"),
            Some(Role::Tomcat)
        );
        assert_eq!(
            role_of("/var/atlassian/application-data/jira/log/atlassian-jira-security.log"),
            Some(Role::Application)
        );
        assert_eq!(
            role_of("/opt/fecru/var/log/fisheye-debug.log.2024-01-01"),
            Some(Role::Application)
        );
        assert_eq!(
            role_of("/opt/fecru/var/log/atlassian-fisheye-2024-01-01.log"),
            Some(Role::Application)
        );
        assert_eq!(
            role_of("application-properties/application.xml"),
            Some(Role::Properties)
        );
        assert_eq!(
            role_of("application-config/dbconfig.xml"),
            Some(Role::Configuration)
        );
        assert_eq!(
            role_of("/opt/atlassian/jira/conf/server.xml"),
            Some(Role::Configuration)
        );
        assert_eq!(role_of("/tmp/notes.log"), None);
    }

    #[test]
    fn config_roles_and_folders() {
        use ConfigRole::*;
        assert_eq!(
            config_role_of("x.zip!tomcat-config/server.xml"),
            Some(InstallServerXml)
        );
        assert_eq!(
            config_role_of("/var/bb/shared/server.xml"),
            Some(SharedServerXml)
        );
        assert_eq!(
            config_role_of("application-properties/application.xml"),
            Some(ApplicationXml)
        );
        assert_eq!(config_role_of("other/application.xml"), None);
        assert_eq!(
            config_role_of("application-config/applinks.json"),
            Some(AuthConfig)
        );
        assert_eq!(config_role_of(r"C:\jira\bin\setenv.bat"), Some(JvmScript));
        assert_eq!(config_role_of("application-logs/atlassian-jira.log"), None);
        assert_eq!(BitbucketProperties.product(), Some(Product::Bitbucket));
        assert!(!JvmScript.is_web_config());
        assert_eq!(
            product_of_folder("/opt/atlassian/jira"),
            Some(Product::Jira)
        );
        assert_eq!(
            product_of_folder("/srv/confluence/install"),
            Some(Product::Confluence)
        );
        assert_eq!(product_of_folder("/opt/atlassian"), None);
    }
}
