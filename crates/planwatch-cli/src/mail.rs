//! Notices by e-mail: `planwatch serve --smtp URL` sends each new notice to its recipient's
//! address. The store is the outbox (`Store::claim_mail`); a background task here takes one
//! notice at a time and hands it to the relay through lettre, recording success or the error —
//! a failed try is tried again after a backoff, so that a move never waits for the mail server
//! nor fails because of it. The relay's password never reaches a log ([`SmtpSettings::redacted`]).

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use planwatch_store::{MAIL_SEND_LIMIT_SECS, MailItem, Store};

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// Plain text (`smtp://`, a relay on this machine or a trusted network).
    Plain,
    /// STARTTLS, required (`smtp://…?tls=starttls`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Wrapper,
}

/// An SMTP relay, from `--smtp`: `smtp://HOST[:PORT]`, `smtp://HOST?tls=starttls`,
/// `smtps://USER:PASSWORD@HOST[:PORT]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SmtpSettings {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl SmtpSettings {
    /// Reads an `--smtp` URL.
    pub(crate) fn parse(text: &str) -> Result<SmtpSettings, String> {
        let bad = |why: &str| format!("--smtp \"{}\": {why}", redact_url(text));
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        if let Some((key, _)) = url.query_pairs().find(|(key, _)| key != "tls") {
            return Err(bad(&format!("unknown parameter \"{key}\" (only tls=)")));
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none")) => Security::Plain,
            ("smtp", Some("starttls")) => Security::StartTls,
            ("smtps", None | Some("tls" | "wrapper")) => Security::Wrapper,
            ("smtp" | "smtps", Some(other)) => {
                return Err(bad(&format!(
                    "tls={other}: use tls=starttls (smtp://) or smtps://"
                )));
            }
            (scheme, _) => {
                return Err(bad(&format!("\"{scheme}\": use smtp:// or smtps://")));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::Wrapper => 465,
        });
        let decode = |text: &str| {
            percent_decode(text).ok_or_else(|| bad("the user or password is not UTF-8"))
        };
        let user = match url.username() {
            "" => None,
            user => Some(decode(user)?),
        };
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(bad("a password without a user"));
        }
        Ok(SmtpSettings {
            host,
            port,
            security,
            user,
            password,
        })
    }

    /// The relay as logs may show it: the password as `***`.
    pub(crate) fn redacted(&self) -> String {
        let scheme = match self.security {
            Security::Wrapper => "smtps",
            _ => "smtp",
        };
        let credentials = match (&self.user, &self.password) {
            (Some(user), Some(_)) => format!("{user}:***@"),
            (Some(user), None) => format!("{user}@"),
            _ => String::new(),
        };
        let query = match self.security {
            Security::StartTls => "?tls=starttls",
            _ => "",
        };
        format!("{scheme}://{credentials}{}:{}{query}", self.host, self.port)
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(Duration::from_secs(30)));
        let parameters = || TlsParameters::new(self.host.clone()).map_err(|e| e.to_string());
        builder = match self.security {
            Security::Plain => builder.tls(Tls::None),
            Security::StartTls => builder.tls(Tls::Required(parameters()?)),
            Security::Wrapper => builder.tls(Tls::Wrapper(parameters()?)),
        };
        if let Some(user) = &self.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                self.password.clone().unwrap_or_default(),
            ));
        }
        Ok(builder.build())
    }
}

/// `text` with `%XX` escapes decoded; `None` when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h)? * 16 + hex(l)?) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A URL as logs may show it, whether or not it parses: whatever stands between `://` and the
/// last `@` after a `:` is replaced by `***`.
pub(crate) fn redact_url(text: &str) -> String {
    crate::commands::redact(text)
}

/// The mail of a notice: Chinese first, English beside it.
pub(crate) fn message(from: &Mailbox, item: &MailItem) -> Result<Message, String> {
    let to: Mailbox = item.to.parse().map_err(|e| format!("{}: {e}", item.to))?;
    let text = format!(
        "{}\n\n{}\n\n— 规划监测 Planwatch\n",
        item.text_zh, item.text_en
    );
    let body =
        Body::new_with_encoding(text, ContentTransferEncoding::EightBit).or_else(|text| {
            Ok::<_, String>(Body::new(
                String::from_utf8(text).map_err(|e| e.to_string())?,
            ))
        })?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("{} / {}", item.subject_zh, item.subject_en))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())
}

/// Sends the outbox's notices through the relay for as long as the server runs: whatever is
/// due now, then a look every `poll`. A failed try is recorded and left for its retry.
pub(crate) async fn deliver(
    store: Store,
    relay: SmtpSettings,
    from: Mailbox,
    poll: Duration,
    retry: chrono::Duration,
) {
    let transport = match relay.transport() {
        Ok(transport) => transport,
        Err(error) => {
            eprintln!(
                "邮件无法发送 mail cannot be sent through {}: {error}",
                relay.redacted()
            );
            return;
        }
    };
    loop {
        match store.claim_mail(retry).await {
            Ok(Some(item)) => {
                // Bounded, and well within the claim's lease: no other server takes the
                // notice while this one may still be sending it.
                let outcome = match message(&from, &item) {
                    Ok(message) => tokio::time::timeout(
                        Duration::from_secs(MAIL_SEND_LIMIT_SECS),
                        transport.send(message),
                    )
                    .await
                    .map_err(|_| format!("no answer within {MAIL_SEND_LIMIT_SECS} s"))
                    .and_then(|sent| sent.map(drop).map_err(|e| e.to_string())),
                    Err(error) => Err(error),
                };
                let recorded = match &outcome {
                    Ok(()) => store.mail_sent(item.id).await,
                    Err(error) => {
                        eprintln!(
                            "通知 {} 的邮件第 {} 次发送失败 mail of notice {} to {} failed (try {}): {error}",
                            item.id, item.attempt, item.id, item.recipient, item.attempt
                        );
                        store.mail_failed(&item, error).await
                    }
                };
                if let Err(error) = recorded {
                    eprintln!("mail outbox: {error}");
                    tokio::time::sleep(poll).await;
                }
            }
            Ok(None) => tokio::time::sleep(poll).await,
            Err(error) => {
                eprintln!("mail outbox: {error}");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_the_relay_its_security_and_credentials() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security, &plain.user),
            ("127.0.0.1", 2525, Security::Plain, &None)
        );
        let starttls = SmtpSettings::parse("smtp://mail.example.org?tls=starttls").unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls)
        );
        let tls =
            SmtpSettings::parse("smtps://notices%40example.org:p%40ss@mail.example.org").unwrap();
        assert_eq!((tls.port, tls.security), (465, Security::Wrapper));
        assert_eq!(tls.user.as_deref(), Some("notices@example.org"));
        assert_eq!(tls.password.as_deref(), Some("p@ss"));
        assert_eq!(SmtpSettings::parse("smtp://[::1]:25").unwrap().host, "::1");
    }

    #[test]
    fn the_password_never_shows() {
        let relay = SmtpSettings::parse("smtps://user:s3cret@mail.example.org:2465").unwrap();
        assert_eq!(relay.redacted(), "smtps://user:***@mail.example.org:2465");
        assert!(!format!("{relay:?}").contains("s3cret"));
        for bad in [
            "http://user:s3cret@host",
            "smtp://user:s3cret@host?tls=maybe",
            "smtp://user:s3cret@host?port=2",
            "smtp://:s3cret@host",
        ] {
            let error = SmtpSettings::parse(bad).unwrap_err();
            assert!(!error.contains("s3cret"), "{error}");
        }
    }

    #[test]
    fn a_notice_mails_in_chinese_and_english() {
        let item = MailItem {
            id: 1,
            attempt: 1,
            to: "east@example.org".into(),
            recipient: "east".into(),
            subject_zh: "【规划监测】第 7 号报送被退回".into(),
            subject_en: "[Planwatch] Submission 7 returned".into(),
            text_zh: "第 7 号报送（第 1 版）被退回：请核实".into(),
            text_en: "Submission 7 (version 1) was returned: 请核实".into(),
            retry_at: "2025-01-01 00:00:30".into(),
        };
        let from: Mailbox = "规划监测 <planwatch@example.org>".parse().unwrap();
        let raw = String::from_utf8(message(&from, &item).unwrap().formatted()).unwrap();
        assert!(raw.contains("To: east@example.org"), "{raw}");
        assert!(raw.contains("Content-Transfer-Encoding: 8bit"), "{raw}");
        assert!(
            raw.contains("第 7 号报送（第 1 版）被退回：请核实"),
            "{raw}"
        );
        assert!(
            message(
                &from,
                &MailItem {
                    to: "not an address".into(),
                    ..item
                }
            )
            .is_err()
        );
    }
}
