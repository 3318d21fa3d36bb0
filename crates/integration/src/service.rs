//! What the gateway knows of each AWS service's wire protocol: its endpoint
//! prefix, signing name, the SDK name of its endpoint variable, and how an
//! action is addressed. A service not in the table still works: it gets API
//! Gateway's generic `?Action=<action>` call, and anything else it needs (an
//! `X-Amz-Target` header, a content type) comes from parameter mappings.

/// How a service's operations are addressed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.0/1.1: `POST /` with a JSON body. The operation is named by
    /// `X-Amz-Target: <prefix>.<Action>`, which some services require; the
    /// gateway also sends `?Action=<Action>`, as API Gateway does.
    Json {
        target_prefix: Option<&'static str>,
        content_type: &'static str,
    },
    /// AWS Query: a form body. The action is in the query string, as for
    /// every action call; the body is the template's, parameters only or with
    /// its own `Action=`, and gets a form Content-Type when none is mapped.
    Query,
    /// REST-style services (Lambda, S3): the operation is the method and path.
    Rest,
    /// Not in the table: `?Action=<Action>` only.
    Generic,
}

/// A service as the gateway calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The name in the configuration and the endpoint's host prefix: `kinesis`,
    /// `states`, `events`.
    pub name: String,
    /// The SigV4 signing name.
    pub signing_name: String,
    /// The suffix of `AWS_ENDPOINT_URL_<ID>`, as the AWS SDKs name it: `SFN`
    /// for `states`, `EVENTBRIDGE` for `events`.
    pub env_id: String,
    pub protocol: Protocol,
    /// S3 signs the path as sent (no normalisation, no double encoding) and
    /// requires the `x-amz-content-sha256` header.
    pub s3_signing: bool,
}

/// `(name, env id, protocol)` of the services the gateway knows.
const KNOWN: &[(&str, &str, Protocol)] = &[
    // Kinesis needs no target: `?Action=` suffices, as the tutorial shows.
    (
        "kinesis",
        "KINESIS",
        Protocol::Json {
            target_prefix: None,
            content_type: "application/x-amz-json-1.1",
        },
    ),
    (
        "dynamodb",
        "DYNAMODB",
        Protocol::Json {
            target_prefix: Some("DynamoDB_20120810"),
            content_type: "application/x-amz-json-1.0",
        },
    ),
    (
        "firehose",
        "FIREHOSE",
        Protocol::Json {
            target_prefix: Some("Firehose_20150804"),
            content_type: "application/x-amz-json-1.1",
        },
    ),
    (
        "events",
        "EVENTBRIDGE",
        Protocol::Json {
            target_prefix: Some("AWSEvents"),
            content_type: "application/x-amz-json-1.1",
        },
    ),
    (
        "states",
        "SFN",
        Protocol::Json {
            target_prefix: Some("AWSStepFunctions"),
            content_type: "application/x-amz-json-1.0",
        },
    ),
    // SQS speaks both JSON 1.0 and Query; which one a call uses follows its
    // Content-Type (see `Service::protocol_for`).
    (
        "sqs",
        "SQS",
        Protocol::Json {
            target_prefix: Some("AmazonSQS"),
            content_type: "application/x-amz-json-1.0",
        },
    ),
    ("sns", "SNS", Protocol::Query),
    ("sts", "STS", Protocol::Query),
    ("lambda", "LAMBDA", Protocol::Rest),
    ("s3", "S3", Protocol::Rest),
];

/// Services that speak Query besides their JSON protocol.
const ALSO_QUERY: &[&str] = &["sqs"];

impl Service {
    /// The service named `name` in the configuration.
    pub fn lookup(name: &str) -> Service {
        match KNOWN.iter().find(|(n, ..)| *n == name) {
            Some((name, env_id, protocol)) => Service {
                name: name.to_string(),
                signing_name: name.to_string(),
                env_id: env_id.to_string(),
                protocol: *protocol,
                s3_signing: *name == "s3",
            },
            None => Service {
                name: name.to_string(),
                // `subdomain.service` names the endpoint; the signing name is the service.
                signing_name: name.rsplit('.').next().unwrap_or(name).to_string(),
                env_id: name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect(),
                protocol: Protocol::Generic,
                s3_signing: false,
            },
        }
    }

    /// The protocol of one call, given the Content-Type it will be sent with:
    /// a form body means Query for services that speak both.
    pub fn protocol_for(&self, content_type: Option<&str>) -> Protocol {
        let form = content_type.is_some_and(|ct| {
            ct.trim_start()
                .starts_with("application/x-www-form-urlencoded")
        });
        if form && ALSO_QUERY.contains(&self.name.as_str()) {
            Protocol::Query
        } else {
            self.protocol
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_services() {
        let states = Service::lookup("states");
        assert_eq!(states.env_id, "SFN");
        assert_eq!(states.signing_name, "states");
        assert!(matches!(
            states.protocol,
            Protocol::Json {
                target_prefix: Some("AWSStepFunctions"),
                ..
            }
        ));
        assert_eq!(Service::lookup("events").env_id, "EVENTBRIDGE");
        assert!(Service::lookup("s3").s3_signing);
        assert_eq!(Service::lookup("sns").protocol, Protocol::Query);
    }

    #[test]
    fn unknown_services_are_generic() {
        let ssm = Service::lookup("ssm");
        assert_eq!(ssm.protocol, Protocol::Generic);
        assert_eq!(ssm.env_id, "SSM");
        let sub = Service::lookup("runtime.sagemaker");
        assert_eq!(sub.signing_name, "sagemaker");
        assert_eq!(sub.env_id, "RUNTIME_SAGEMAKER");
    }

    #[test]
    fn sqs_protocol_follows_the_content_type() {
        let sqs = Service::lookup("sqs");
        assert!(matches!(
            sqs.protocol_for(Some("application/x-amz-json-1.0")),
            Protocol::Json { .. }
        ));
        assert_eq!(
            sqs.protocol_for(Some("application/x-www-form-urlencoded; charset=utf-8")),
            Protocol::Query
        );
        assert!(matches!(sqs.protocol_for(None), Protocol::Json { .. }));
    }
}
