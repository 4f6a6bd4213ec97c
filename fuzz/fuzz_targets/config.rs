//! Arbitrary bytes as a product's web-server configuration; the first byte picks the file
//! kind: Tomcat `server.xml`, Bitbucket `bitbucket.properties`, FishEye `config.xml`, or
//! plain Java properties. Each configuration is parsed and run through the connector checks
//! against a fixed base URL (no keystore roots: nothing on disk is opened).
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkdoctor::check::analyze::{BaseUrl, Context, analyze};
use linkdoctor::check::{properties, webconfig};
use linkdoctor::model::Product;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (product, config) = match kind % 4 {
        0 => (
            Product::Jira,
            webconfig::read_server_xml("server.xml", &text).ok(),
        ),
        1 => (
            Product::Bitbucket,
            Some(webconfig::read_bitbucket_properties("bitbucket.properties", &text).0),
        ),
        2 => (
            Product::Fisheye,
            webconfig::read_fisheye_config("config.xml", &text).ok(),
        ),
        _ => {
            let props = properties::parse(&text);
            for key in props.entries.keys() {
                let _ = props.get(key);
            }
            return;
        }
    };
    let Some(config) = config else {
        return;
    };
    let base = BaseUrl::parse("https://jira.example.com:8443/jira").expect("fixed base URL");
    for base_url in [None, Some((&base, "--base-url"))] {
        let ctx = Context {
            product,
            config: &config,
            base_url,
            keystore_roots: Vec::new(),
        };
        let _ = analyze(&ctx);
    }
});
