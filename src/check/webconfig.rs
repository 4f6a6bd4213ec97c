//! Reads the three web-server configuration formats into one [`WebConfig`]: Tomcat
//! `server.xml` (roxmltree, `<Service>/<Connector>` plus Tomcat 8.5+ `<SSLHostConfig>`
//! certificates and the `<Context path>`), Bitbucket 5+ `bitbucket.properties` (`server.*`
//! and `server.additional-connector.N.*`) and Fisheye/Crucible `config.xml`
//! (`<web-server site-url>` with `<http>` and `<ssl>`). Settings the checks understand get
//! the names in [`key`]; every other attribute keeps its own name, so a snapshot keeps it.
//! A malformed file is an error with line and column; the caller turns it into a warning.

use super::model::{ConfigKind, Connector, Setting, WebConfig, key};
use super::properties;
use crate::warning::Warning;
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::BTreeMap;

/// Most nodes accepted in one XML file: far above any real server.xml or config.xml.
const XML_NODES_LIMIT: u32 = 200_000;

/// Parses an XML document; a syntax error becomes a warning naming file, line and column.
pub fn parse_xml<'a>(file: &str, text: &'a str) -> Result<Document<'a>, Warning> {
    let opts = ParsingOptions {
        allow_dtd: true,
        nodes_limit: XML_NODES_LIMIT,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, opts).map_err(|e| {
        let pos = e.pos();
        Warning::at_line(
            file,
            u64::from(pos.row),
            format!("column {}: malformed XML, not checked: {e}", pos.col),
        )
    })
}

fn line_of(doc: &Document, pos: usize) -> Option<u64> {
    Some(u64::from(doc.text_pos_at(pos).row))
}

/// Canonical name of a Tomcat connector attribute, if the checks use it.
fn tomcat_key(attr: &str) -> Option<&'static str> {
    let table = [
        ("port", key::PORT),
        ("protocol", key::PROTOCOL),
        ("scheme", key::SCHEME),
        ("secure", key::SECURE),
        ("proxyname", key::PROXY_NAME),
        ("proxyport", key::PROXY_PORT),
        ("sslenabled", key::SSL_ENABLED),
        ("keystorefile", key::KEYSTORE),
        ("keystorepass", key::KEYSTORE_PASSWORD),
    ];
    let lower = attr.to_ascii_lowercase();
    table.iter().find(|(n, _)| *n == lower).map(|(_, k)| *k)
}

fn attribute_setting(doc: &Document, attr: &roxmltree::Attribute) -> Setting {
    Setting {
        name: attr.name().to_string(),
        value: attr.value().to_string(),
        line: line_of(doc, attr.range().start),
    }
}

/// Tomcat `server.xml`.
pub fn read_server_xml(file: &str, text: &str) -> Result<WebConfig, Warning> {
    let doc = parse_xml(file, text)?;
    let mut connectors = Vec::new();
    let services = doc
        .descendants()
        .filter(|n| n.has_tag_name("Service"))
        .collect::<Vec<_>>();
    for service in services {
        let context = service
            .descendants()
            .find(|n| n.has_tag_name("Context") && n.attribute("path").is_some());
        for node in service.children().filter(|n| n.has_tag_name("Connector")) {
            connectors.push(tomcat_connector(&doc, node, context));
        }
    }
    Ok(WebConfig {
        kind: ConfigKind::ServerXml,
        file: file.to_string(),
        connectors,
        site_url: None,
    })
}

fn tomcat_connector(doc: &Document, node: Node, context: Option<Node>) -> Connector {
    let mut settings = BTreeMap::new();
    for attr in node.attributes() {
        let name = tomcat_key(attr.name()).unwrap_or(attr.name());
        settings.insert(name.to_string(), attribute_setting(doc, &attr));
    }
    // Tomcat 8.5+: the keystore lives in <SSLHostConfig><Certificate certificateKeystoreFile>.
    for cert in node.descendants().filter(|n| n.has_tag_name("Certificate")) {
        for attr in cert.attributes() {
            let canonical = match attr.name() {
                "certificateKeystoreFile" => key::KEYSTORE,
                "certificateKeystorePassword" => key::KEYSTORE_PASSWORD,
                _ => continue,
            };
            settings
                .entry(canonical.to_string())
                .or_insert_with(|| attribute_setting(doc, &attr));
        }
    }
    if let Some(ctx) = context
        && let Some(attr) = ctx.attribute_node("path")
    {
        settings.insert(key::CONTEXT_PATH.into(), attribute_setting(doc, &attr));
    }
    let port = node.attribute("port").unwrap_or("?");
    Connector {
        label: format!("Connector port=\"{port}\""),
        line: line_of(doc, node.range().start),
        settings,
    }
}

/// Canonical name of a Bitbucket connector property suffix (after `server.` or
/// `server.additional-connector.N.`), if the checks use it.
fn bitbucket_key(suffix: &str) -> Option<&'static str> {
    Some(match suffix {
        "port" => key::PORT,
        "scheme" => key::SCHEME,
        "secure" => key::SECURE,
        "proxy-name" => key::PROXY_NAME,
        "proxy-port" => key::PROXY_PORT,
        "ssl.enabled" => key::SSL_ENABLED,
        "ssl.key-store" => key::KEYSTORE,
        "ssl.key-store-password" => key::KEYSTORE_PASSWORD,
        "context-path" => key::CONTEXT_PATH,
        _ => return None,
    })
}

/// The property name Bitbucket uses for a canonical key on the main connector.
pub fn bitbucket_property_for(canonical: &str) -> Option<&'static str> {
    Some(match canonical {
        key::PORT => "server.port",
        key::SCHEME => "server.scheme",
        key::SECURE => "server.secure",
        key::PROXY_NAME => "server.proxy-name",
        key::PROXY_PORT => "server.proxy-port",
        key::SSL_ENABLED => "server.ssl.enabled",
        key::KEYSTORE => "server.ssl.key-store",
        key::KEYSTORE_PASSWORD => "server.ssl.key-store-password",
        key::CONTEXT_PATH => "server.context-path",
        _ => return None,
    })
}

/// The attribute name Fisheye's config.xml uses for a canonical key.
pub fn fisheye_attribute_for(canonical: &str) -> Option<&'static str> {
    Some(match canonical {
        key::PORT => "bind",
        key::SCHEME => "proxy-scheme",
        key::PROXY_NAME => "proxy-host",
        key::PROXY_PORT => "proxy-port",
        key::KEYSTORE => "keystore",
        key::KEYSTORE_PASSWORD => "keystore-password",
        _ => return None,
    })
}

/// Bitbucket 5+ `bitbucket.properties`. Properties outside `server.` are not web-server
/// settings and are left out.
pub fn read_bitbucket_properties(file: &str, text: &str) -> (WebConfig, Vec<Warning>) {
    let props = properties::parse(text);
    let warnings = props
        .errors
        .iter()
        .map(|e| {
            Warning::at_line(
                file,
                e.line,
                format!("column {}: malformed property: {}", e.column, e.message),
            )
        })
        .collect();
    let mut groups: BTreeMap<String, Connector> = BTreeMap::new();
    for prop in props.entries.values() {
        let Some(rest) = prop.key.strip_prefix("server.") else {
            continue;
        };
        let (group, suffix) = match rest.strip_prefix("additional-connector.") {
            Some(r) => match r.split_once('.') {
                Some((n, suffix)) => (format!("server.additional-connector.{n}.*"), suffix),
                None => continue,
            },
            None => ("server.*".to_string(), rest),
        };
        let connector = groups.entry(group.clone()).or_insert_with(|| Connector {
            label: group,
            line: None,
            settings: BTreeMap::new(),
        });
        connector.line = Some(connector.line.map_or(prop.line, |l| l.min(prop.line)));
        let name = bitbucket_key(suffix).unwrap_or(suffix).to_string();
        connector.settings.insert(
            name,
            Setting {
                name: prop.key.clone(),
                value: prop.value.clone(),
                line: Some(prop.line),
            },
        );
    }
    // Bitbucket's main connector listens on 7990 unless told otherwise; it exists even
    // when the file says nothing about it.
    let mut main = groups.remove("server.*").unwrap_or_else(|| Connector {
        label: "server.*".into(),
        line: None,
        settings: BTreeMap::new(),
    });
    main.settings
        .entry(key::PORT.into())
        .or_insert_with(|| Setting {
            name: "server.port (default)".into(),
            value: "7990".into(),
            line: None,
        });
    let mut connectors = vec![main];
    connectors.extend(groups.into_values());
    // Spring Boot makes an SSL-enabled connector https and secure without being told.
    for c in &mut connectors {
        if let Some(ssl) = c.setting(key::SSL_ENABLED).cloned()
            && ssl.value.trim().eq_ignore_ascii_case("true")
        {
            for (k, v) in [(key::SCHEME, "https"), (key::SECURE, "true")] {
                c.settings.entry(k.into()).or_insert_with(|| Setting {
                    name: format!("{} (implied)", ssl.name),
                    value: v.into(),
                    line: ssl.line,
                });
            }
        }
    }
    (
        WebConfig {
            kind: ConfigKind::BitbucketProperties,
            file: file.to_string(),
            connectors,
            site_url: None,
        },
        warnings,
    )
}

/// The port of a Fisheye `bind` value: `:8060`, `0.0.0.0:8060` or `8060`.
fn bind_port(bind: &str) -> String {
    bind.rsplit(':').next().unwrap_or(bind).trim().to_string()
}

/// Fisheye/Crucible `config.xml`: `<web-server site-url="...">` with `<http bind proxy-host
/// proxy-port proxy-scheme>` and `<ssl bind keystore keystore-password ...>`.
pub fn read_fisheye_config(file: &str, text: &str) -> Result<WebConfig, Warning> {
    let doc = parse_xml(file, text)?;
    let mut connectors = Vec::new();
    let mut site_url = None;
    if let Some(ws) = doc.descendants().find(|n| n.has_tag_name("web-server")) {
        if let Some(attr) = ws.attribute_node("site-url") {
            site_url = Some(attribute_setting(&doc, &attr));
        }
        for node in ws
            .children()
            .filter(|n| n.has_tag_name("http") || n.has_tag_name("ssl"))
        {
            let is_ssl = node.has_tag_name("ssl");
            let mut settings = BTreeMap::new();
            for attr in node.attributes() {
                let mut setting = attribute_setting(&doc, &attr);
                let name = match attr.name() {
                    "bind" => {
                        setting.value = bind_port(attr.value());
                        key::PORT
                    }
                    "proxy-host" => key::PROXY_NAME,
                    "proxy-port" => key::PROXY_PORT,
                    "proxy-scheme" => key::SCHEME,
                    "keystore" => key::KEYSTORE,
                    "keystore-password" => key::KEYSTORE_PASSWORD,
                    other => other,
                };
                settings.insert(name.to_string(), setting);
            }
            let line = line_of(&doc, node.range().start);
            if is_ssl {
                // The <ssl> element is Fisheye's HTTPS listener: TLS on, scheme https.
                for (k, v) in [(key::SSL_ENABLED, "true"), (key::SECURE, "true")] {
                    settings.entry(k.into()).or_insert(Setting {
                        name: "<ssl>".into(),
                        value: v.into(),
                        line,
                    });
                }
                settings.entry(key::SCHEME.into()).or_insert(Setting {
                    name: "<ssl>".into(),
                    value: "https".into(),
                    line,
                });
            } else if settings
                .get(key::SCHEME)
                .is_some_and(|s| s.value.eq_ignore_ascii_case("https"))
            {
                // Fisheye has no `secure` switch: proxy-scheme="https" implies it.
                settings.insert(
                    key::SECURE.into(),
                    Setting {
                        name: "proxy-scheme".into(),
                        value: "true".into(),
                        line,
                    },
                );
            }
            connectors.push(Connector {
                label: format!("<{}>", node.tag_name().name()),
                line,
                settings,
            });
        }
    }
    Ok(WebConfig {
        kind: ConfigKind::FisheyeConfig,
        file: file.to_string(),
        connectors,
        site_url,
    })
}

/// Whether a `config.xml` is Fisheye's (it has a `<web-server>` element).
pub fn looks_like_fisheye_config(text: &str) -> bool {
    text.contains("<web-server")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_xml_connectors_with_lines_and_context() {
        let xml = r#"<?xml version="1.0"?>
<Server port="8005" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <!-- <Connector port="9999" scheme="https"/> -->
    <Connector port="8080" protocol="HTTP/1.1"
               proxyName="jira.example.com" proxyPort="443" scheme="https" secure="true"/>
    <Connector port="8443" SSLEnabled="true">
      <SSLHostConfig><Certificate certificateKeystoreFile="conf/ks.jks" certificateKeystorePassword="pw"/></SSLHostConfig>
    </Connector>
    <Engine name="Catalina"><Host name="localhost"><Context path="/jira" docBase="x"/></Host></Engine>
  </Service>
</Server>"#;
        let c = read_server_xml("server.xml", xml).unwrap();
        assert_eq!(c.connectors.len(), 2);
        let a = &c.connectors[0];
        assert_eq!(a.proxy_name(), Some("jira.example.com"));
        assert_eq!(a.setting(key::PROXY_PORT).unwrap().line, Some(6));
        assert_eq!(a.line, Some(5));
        assert_eq!(a.value(key::CONTEXT_PATH), Some("/jira"));
        let b = &c.connectors[1];
        assert_eq!(b.value(key::KEYSTORE), Some("conf/ks.jks"));
        assert!(b.terminates_tls());
    }

    #[test]
    fn malformed_xml_is_located() {
        let w = read_server_xml("s.xml", "<Server>\n  <Service>\n  <Connector port=8080/>\n")
            .unwrap_err();
        assert_eq!(w.line, Some(3));
        assert!(w.message.contains("column"), "{w}");
    }

    #[test]
    fn bitbucket_properties_groups() {
        let (c, w) = read_bitbucket_properties(
            "bitbucket.properties",
            "jdbc.url=x\nserver.proxy-name=bb.example.com\nserver.proxy-port=443\nserver.additional-connector.1.port=8443\nserver.additional-connector.1.ssl.enabled=true\n",
        );
        assert!(w.is_empty());
        assert_eq!(c.connectors.len(), 2);
        assert_eq!(c.connectors[0].port(), Some(7990));
        assert_eq!(c.connectors[0].proxy_name(), Some("bb.example.com"));
        assert_eq!(
            c.connectors[0].setting(key::PROXY_NAME).unwrap().name,
            "server.proxy-name"
        );
        assert_eq!(c.connectors[1].port(), Some(8443));
        assert!(c.connectors[1].terminates_tls());
        assert_eq!(c.connectors[1].scheme(), "https");
        assert!(c.connectors[1].is_true(key::SECURE));
    }

    #[test]
    fn fisheye_web_server() {
        let xml = r#"<config><web-server site-url="https://fe.example.com"><http bind=":8060" proxy-host="fe.example.com" proxy-port="443" proxy-scheme="https"/><ssl bind="0.0.0.0:8443" keystore="/x.jks"/></web-server></config>"#;
        let c = read_fisheye_config("config.xml", xml).unwrap();
        assert_eq!(c.site_url.as_ref().unwrap().value, "https://fe.example.com");
        assert_eq!(c.connectors[0].port(), Some(8060));
        assert!(c.connectors[0].is_true(key::SECURE));
        assert_eq!(c.connectors[1].scheme(), "https");
        assert_eq!(c.connectors[1].port(), Some(8443));
    }
}
