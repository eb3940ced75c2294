//! Where probes go: `host:port` for TCP and `http://` URLs, checked when the
//! configuration is read so that a probe never fails on its own spelling.

use std::fmt;
use std::net::Ipv6Addr;

/// A probe target that cannot be used, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was given.
    #[error("adresse vide")]
    Empty,
    /// An `https://` URL: there is no TLS client for probes.
    #[error(
        "https n'est pas pris en charge pour les sondes (« {url} ») : ckisa n'embarque pas de \
         client TLS ; sondez le port en TCP (hôte:443) ou donnez une URL http://"
    )]
    HttpsUnsupported {
        /// The URL given.
        url: String,
    },
    /// A URL with another scheme, or none.
    #[error("l'URL doit commencer par http:// (« {url} »)")]
    NotHttp {
        /// The URL given.
        url: String,
    },
    /// A URL with a user name or password before the host.
    #[error("les identifiants dans l'URL (utilisateur@hôte) ne sont pas pris en charge")]
    UserInfo,
    /// No host before the port or path.
    #[error("nom d'hôte manquant dans « {text} »")]
    MissingHost {
        /// The address given.
        text: String,
    },
    /// A host with characters no host name has.
    #[error("nom d'hôte invalide : « {host} »")]
    BadHost {
        /// The host given.
        host: String,
    },
    /// An IPv6 address without brackets, or a bad one within them.
    #[error("adresse IPv6 invalide : « {text} » (attendu entre crochets, comme [::1]:8080)")]
    BadIpv6 {
        /// The address given.
        text: String,
    },
    /// A TCP target without a port.
    #[error("port manquant dans « {text} » (attendu hôte:port)")]
    MissingPort {
        /// The address given.
        text: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("port invalide : « {port} » (attendu un nombre de 1 à 65535)")]
    BadPort {
        /// The port given.
        port: String,
    },
    /// A path with spaces or control characters.
    #[error("chemin d'URL invalide : « {path} » (espaces et caractères de contrôle à coder)")]
    BadPath {
        /// The path given.
        path: String,
    },
}

/// A host and a port, as in `his.chu.local:2575` or `[fd00::1]:80`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    host: String,
    port: u16,
}

impl HostPort {
    /// Reads `host:port`; IPv6 addresses go between brackets.
    pub fn parse(text: &str) -> Result<HostPort, TargetError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TargetError::Empty);
        }
        match split_host_port(text)? {
            (host, Some(port)) => Ok(HostPort { host, port }),
            (_, None) => Err(TargetError::MissingPort {
                text: text.to_owned(),
            }),
        }
    }

    /// The host name or address, without brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host as written in an address: IPv6 between brackets.
    fn host_for_address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host_for_address(), self.port)
    }
}

/// A plain `http://` URL: host, port (80 unless given) and path with query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    authority: HostPort,
    path: String,
}

impl HttpUrl {
    /// Reads `http://host[:port][/path][?query]`; a `#fragment` is dropped.
    pub fn parse(text: &str) -> Result<HttpUrl, TargetError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TargetError::Empty);
        }
        let Some(rest) = strip_scheme(text, "http://") else {
            return Err(if strip_scheme(text, "https://").is_some() {
                TargetError::HttpsUnsupported {
                    url: text.to_owned(),
                }
            } else {
                TargetError::NotHttp {
                    url: text.to_owned(),
                }
            });
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(TargetError::UserInfo);
        }
        if authority.is_empty() {
            return Err(TargetError::MissingHost {
                text: text.to_owned(),
            });
        }
        let (host, port) = split_host_port(authority)?;
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TargetError::BadPath { path });
        }
        Ok(HttpUrl {
            authority: HostPort {
                host,
                port: port.unwrap_or(80),
            },
            path,
        })
    }

    /// The host and port to connect to.
    pub fn authority(&self) -> &HostPort {
        &self.authority
    }

    /// The path with its query, at least `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The `Host` header: the host, and the port when it is not 80.
    pub(crate) fn host_header(&self) -> String {
        match self.authority.port {
            80 => self.authority.host_for_address(),
            _ => self.authority.to_string(),
        }
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path)
    }
}

/// The scheme is case-insensitive.
fn strip_scheme<'a>(text: &'a str, scheme: &str) -> Option<&'a str> {
    let head = text.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &text[scheme.len()..])
}

/// Splits `host[:port]`, checking both.
fn split_host_port(text: &str) -> Result<(String, Option<u16>), TargetError> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return Err(TargetError::BadIpv6 {
                text: text.to_owned(),
            });
        };
        if address.parse::<Ipv6Addr>().is_err() {
            return Err(TargetError::BadIpv6 {
                text: text.to_owned(),
            });
        }
        match after.strip_prefix(':') {
            Some(port) => (address, Some(port)),
            None if after.is_empty() => (address, None),
            None => {
                return Err(TargetError::BadIpv6 {
                    text: text.to_owned(),
                });
            }
        }
    } else {
        match text.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err(TargetError::BadIpv6 {
                    text: text.to_owned(),
                });
            }
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };

    if host.is_empty() {
        return Err(TargetError::MissingHost {
            text: text.to_owned(),
        });
    }
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    if !host.chars().all(is_name_char) {
        return Err(TargetError::BadHost {
            host: host.to_owned(),
        });
    }
    let port = port.map(parse_port).transpose()?;
    Ok((host.to_ascii_lowercase(), port))
}

fn parse_port(text: &str) -> Result<u16, TargetError> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err(TargetError::BadPort {
            port: text.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_url(text: &str, host: &str, port: u16, path: &str, header: &str) {
        let url = HttpUrl::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
        assert_eq!(url.authority().host(), host, "{text}");
        assert_eq!(url.authority().port(), port, "{text}");
        assert_eq!(url.path(), path, "{text}");
        assert_eq!(url.host_header(), header, "{text}");
    }

    #[test]
    fn http_urls_are_read() {
        check_url(
            "http://his.chu.local",
            "his.chu.local",
            80,
            "/",
            "his.chu.local",
        );
        check_url(
            "HTTP://HIS:8080/sante?x=1#haut",
            "his",
            8080,
            "/sante?x=1",
            "his:8080",
        );
        check_url("http://10.0.0.5?ping", "10.0.0.5", 80, "/?ping", "10.0.0.5");
        check_url("http://[::1]:81/a", "::1", 81, "/a", "[::1]:81");
        check_url("  http://[fd00::2]/  ", "fd00::2", 80, "/", "[fd00::2]");
        let url = HttpUrl::parse("http://his:8080/sante").expect("valid");
        assert_eq!(url.to_string(), "http://his:8080/sante");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases = [
            ("", TargetError::Empty),
            (
                "https://dpi.chu.local/",
                TargetError::HttpsUnsupported {
                    url: "https://dpi.chu.local/".to_owned(),
                },
            ),
            (
                "ftp://his",
                TargetError::NotHttp {
                    url: "ftp://his".to_owned(),
                },
            ),
            (
                "his.chu.local/sante",
                TargetError::NotHttp {
                    url: "his.chu.local/sante".to_owned(),
                },
            ),
            ("http://admin:secret@his/", TargetError::UserInfo),
            (
                "http:///sante",
                TargetError::MissingHost {
                    text: "http:///sante".to_owned(),
                },
            ),
            (
                "http://his:0/",
                TargetError::BadPort {
                    port: "0".to_owned(),
                },
            ),
            (
                "http://his:99999/",
                TargetError::BadPort {
                    port: "99999".to_owned(),
                },
            ),
            (
                "http://his:+80/",
                TargetError::BadPort {
                    port: "+80".to_owned(),
                },
            ),
            (
                "http://h%C3%B4te/",
                TargetError::BadHost {
                    host: "h%C3%B4te".to_owned(),
                },
            ),
            (
                "http://his/mon chemin",
                TargetError::BadPath {
                    path: "/mon chemin".to_owned(),
                },
            ),
            (
                "http://[::zz]/",
                TargetError::BadIpv6 {
                    text: "[::zz]".to_owned(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(HttpUrl::parse(text), Err(expected), "{text}");
        }
        let https = HttpUrl::parse("https://dpi/").expect_err("https is refused");
        assert!(https.to_string().contains("pas de client TLS"), "{https}");
    }

    #[test]
    fn tcp_targets_need_a_port() {
        let target = HostPort::parse("his.chu.local:2575").expect("valid");
        assert_eq!((target.host(), target.port()), ("his.chu.local", 2575));
        assert_eq!(
            HostPort::parse("[::1]:443").expect("valid").to_string(),
            "[::1]:443"
        );
        assert_eq!(
            HostPort::parse("his.chu.local"),
            Err(TargetError::MissingPort {
                text: "his.chu.local".to_owned()
            })
        );
        assert_eq!(
            HostPort::parse("::1:443"),
            Err(TargetError::BadIpv6 {
                text: "::1:443".to_owned()
            })
        );
        assert_eq!(
            HostPort::parse(":443"),
            Err(TargetError::MissingHost {
                text: ":443".to_owned()
            })
        );
        assert_eq!(HostPort::parse("  "), Err(TargetError::Empty));
    }
}
