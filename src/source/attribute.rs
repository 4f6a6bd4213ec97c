//! Which product wrote a log file, judged from its name and the folders around it
//! (`atlassian-jira.log`, `<confluence-home>/logs`, `catalina.out` under a Jira install...).

use crate::model::Product;
use std::path::Path;

/// Product named by a log file's own name, if it names one.
fn product_from_file_name(name: &str) -> Option<Product> {
    let name = name.to_ascii_lowercase();
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

/// Product named by a folder of the path (`jira-home`, `/opt/atlassian/confluence`, ...).
fn product_from_dirs(path: &Path) -> Option<Product> {
    path.ancestors().skip(1).find_map(|dir| {
        let name = dir.file_name()?.to_str()?.to_ascii_lowercase();
        Product::ALL
            .iter()
            .copied()
            .chain([Product::Bitbucket, Product::Fisheye])
            .zip([
                "jira",
                "confluence",
                "bitbucket",
                "bamboo",
                "crowd",
                "fisheye",
                "stash",
                "crucible",
            ])
            .find(|(_, word)| name.contains(word))
            .map(|(p, _)| p)
    })
}

/// Best guess of the product that wrote `path`: its file name first, then its folders.
pub fn product_of(path: &Path) -> Option<Product> {
    let name = path.file_name()?.to_str()?;
    product_from_file_name(name).or_else(|| product_from_dirs(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dirs() {
        assert_eq!(
            product_of(Path::new("/x/atlassian-jira.log.3")),
            Some(Product::Jira)
        );
        assert_eq!(
            product_of(Path::new("/x/atlassian-stash.log")),
            Some(Product::Bitbucket)
        );
        assert_eq!(
            product_of(Path::new("/opt/atlassian/confluence/logs/catalina.out")),
            Some(Product::Confluence)
        );
        assert_eq!(
            product_of(Path::new("/srv/crucible/var/log/x.log")),
            Some(Product::Fisheye)
        );
        assert_eq!(product_of(Path::new("/tmp/catalina.out")), None);
    }
}
