// Client-matrix driver for rskafka (a Rust client with its own protocol code; crates.io): the
// steps given as arguments, one JSON line each (test/e2e/clients/README.md). rskafka has no
// consumer groups: `consume` reads the topic's partition 0 from the start without one, and
// commits nothing (the matrix reads its group scenario as n.a.). One Client per connection
// serves every step of that connection.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rskafka::chrono::{DateTime, TimeZone, Utc};
use rskafka::client::error::Error;
use rskafka::client::partition::{Compression, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder, Credentials, SaslConfig};
use rskafka::record::Record;
use serde_json::{json, Map, Value};

/// Each step's bound: MATRIX_TIMEOUT_MS, 15 s when it is not set.
fn step_timeout() -> Duration {
    let ms = std::env::var("MATRIX_TIMEOUT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(15_000);
    Duration::from_millis(ms)
}

fn emit(op: &str, ok: bool, rest: Map<String, Value>) {
    let mut m = Map::new();
    m.insert("op".into(), json!(op));
    m.insert("ok".into(), json!(ok));
    m.extend(rest);
    println!("{}", Value::Object(m));
}

/// Kafka's name for a broker's error ("TopicAuthorizationFailed" -> TOPIC_AUTHORIZATION_FAILED);
/// else the kind of rskafka error.
fn error_name(e: &Error) -> String {
    match e {
        Error::ServerError { protocol_error, .. } => {
            let mut out = String::new();
            for (i, c) in format!("{protocol_error:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
        Error::Connection(_) => "CONNECTION".into(),
        Error::Request(_) => "REQUEST".into(),
        Error::InvalidResponse(_) => "INVALID_RESPONSE".into(),
        _ => "OTHER".into(),
    }
}

/// The wall clock (rskafka's chrono comes without its clock feature).
fn now() -> DateTime<Utc> {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

struct Failure {
    name: String,
    message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure { name: error_name(&e), message: e.to_string() }
    }
}

/// `conn`: "@host:port" or "MECHANISM:user:password@host:port".
async fn connect(conn: &str) -> Result<Client, Failure> {
    let at = conn.rfind('@').unwrap_or(0);
    let mut builder = ClientBuilder::new(vec![conn[at + 1..].to_string()]).client_id("e2e-rskafka");
    if at > 0 {
        let a: Vec<&str> = conn[..at].splitn(3, ':').collect();
        let credentials = Credentials { username: a[1].to_string(), password: a[2].to_string() };
        builder = builder.sasl_config(match a[0] {
            "PLAIN" => SaslConfig::Plain(credentials),
            "SCRAM-SHA-256" => SaslConfig::ScramSha256(credentials),
            "SCRAM-SHA-512" => SaslConfig::ScramSha512(credentials),
            m => return Err(Failure { name: "UNSUPPORTED".into(), message: format!("mechanism {m}") }),
        });
    }
    Ok(builder.build().await?)
}

struct Driver {
    clients: HashMap<String, Client>,
}

impl Driver {
    async fn client(&mut self, conn: &str) -> Result<&Client, Failure> {
        if !self.clients.contains_key(conn) {
            let c = connect(conn).await?;
            self.clients.insert(conn.to_string(), c);
        }
        Ok(&self.clients[conn])
    }

    /// produce|conn|topic|v1,v2,...: each value acknowledged in turn (rskafka writes acks=all).
    async fn produce(&mut self, a: &[&str]) -> Result<Map<String, Value>, Failure> {
        let (topic, values) = (a[1], a[2]);
        let partition = self.client(a[0]).await?.partition_client(topic, 0, UnknownTopicHandling::Retry).await?;
        for v in values.split(',') {
            let record = Record { key: None, value: Some(v.as_bytes().to_vec()), headers: BTreeMap::new(), timestamp: now() };
            partition.produce(vec![record], Compression::NoCompression).await?;
        }
        Ok(Map::new())
    }

    /// consume|conn|topic|group|n: n values of partition 0 from offset 0 (no group: rskafka has none).
    async fn consume(&mut self, a: &[&str]) -> Result<Map<String, Value>, Failure> {
        let (topic, n) = (a[1], a[3].parse::<usize>().unwrap_or(0));
        let partition = self.client(a[0]).await?.partition_client(topic, 0, UnknownTopicHandling::Retry).await?;
        let mut values = Vec::new();
        let mut offset = 0;
        while values.len() < n {
            let (records, _high_watermark) = partition.fetch_records(offset, 1..1_000_000, 500).await?;
            for r in records {
                offset = r.offset + 1;
                values.push(json!(String::from_utf8_lossy(r.record.value.as_deref().unwrap_or_default())));
            }
        }
        values.truncate(n);
        Ok(Map::from_iter([("values".to_string(), Value::Array(values))]))
    }

    /// list|conn: the topics of rskafka's listing (Metadata of all topics).
    async fn list(&mut self, a: &[&str]) -> Result<Map<String, Value>, Failure> {
        let mut topics: Vec<String> = self.client(a[0]).await?.list_topics().await?.into_iter().map(|t| t.name).collect();
        topics.sort();
        Ok(Map::from_iter([("topics".to_string(), json!(topics))]))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut d = Driver { clients: HashMap::new() };
    for arg in std::env::args().skip(1) {
        let a: Vec<&str> = arg.split('|').collect();
        let (op, rest) = (a[0], &a[1..]);
        let run = async {
            match op {
                "produce" => d.produce(rest).await,
                "consume" => d.consume(rest).await,
                "list" => d.list(rest).await,
                _ => Err(Failure { name: "UNSUPPORTED".into(), message: format!("rskafka's driver has no step {op}") }),
            }
        };
        match tokio::time::timeout(step_timeout(), run).await {
            Ok(Ok(rest)) => emit(op, true, rest),
            Ok(Err(f)) => emit(op, false, Map::from_iter([("error".into(), json!(f.name)), ("message".into(), json!(f.message))])),
            Err(_) => emit(op, false, Map::from_iter([("error".into(), json!("TIMEOUT")), ("message".into(), json!("step timed out"))])),
        }
    }
}
