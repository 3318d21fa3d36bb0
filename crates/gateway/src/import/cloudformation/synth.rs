//! An OpenAPI 3 document with API Gateway's extensions, made from a
//! template's `AWS::ApiGateway::Resource`, `Method`, `Model`,
//! `RequestValidator`, `GatewayResponse` and `Authorizer` resources, as API
//! Gateway itself would export the API they build. The OpenAPI converter
//! then reads it like any export, so both ways of writing an API share one
//! conversion.
//!
//! Each place of the document made from a property is remembered with the
//! property's JSON pointer in the template, so that a problem the converter
//! finds is reported where the template says it.

use serde_json::{Map, Value as Json, json};

use super::intrinsics::{Error, Resolver, scalar_string};
use super::template::{Node, Pos};
use super::{properties_pointer, property_pointer, refers_to};
use crate::import::escape_pointer;

/// A problem or warning about the template, at its place.
#[derive(Debug, Clone)]
pub struct Note {
    pub pos: Pos,
    /// The JSON pointer of what it is about, in the template.
    pub pointer: String,
    pub message: String,
}

/// What the template's API resources add to the document.
#[derive(Debug, Default)]
pub struct Synthesis {
    /// Pointer in the document → pointer in the template, for each place
    /// made from a property. Below a pair, keys are the same in both (a
    /// template's media type, a parameter's name).
    pub map: Vec<(String, String)>,
    pub problems: Vec<Note>,
    pub warnings: Vec<Note>,
}

/// The logical id `node` refers to with `Ref`.
fn ref_target(node: &Node) -> Option<&str> {
    node.intrinsic()
        .filter(|(f, _)| *f == "Ref")
        .and_then(|(_, arg)| arg.as_str())
}

/// Whether `node` is `Fn::GetAtt [api, RootResourceId]`.
fn is_root_of(node: &Node, api: &str) -> bool {
    let Some(("Fn::GetAtt", arg)) = node.intrinsic() else {
        return false;
    };
    match arg.as_seq() {
        Some([resource, attribute]) => {
            resource.as_str() == Some(api) && attribute.as_str() == Some("RootResourceId")
        }
        _ => arg.as_str() == Some(&format!("{api}.RootResourceId")),
    }
}

struct Builder<'r, 'a> {
    resolver: &'r Resolver<'a>,
    api: &'r str,
    out: Synthesis,
}

/// Adds the API's resources of the template to `doc` (an OpenAPI 3
/// document, empty or the API's `Body`).
pub fn add_resources(resolver: &Resolver<'_>, api: &str, doc: &mut Map<String, Json>) -> Synthesis {
    let mut builder = Builder {
        resolver,
        api,
        out: Synthesis::default(),
    };
    let resources: Vec<(&str, &Node)> = resolver
        .template
        .get("Resources")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|(id, node)| (id.as_str(), node))
        .filter(|(_, node)| refers_to(node.get("Properties").and_then(|p| p.get("RestApiId")), api))
        .collect();
    let mut existing = Vec::new();
    for (id, node) in resources {
        match resolver.exists(node) {
            Ok(true) => existing.push((id, node)),
            Ok(false) => {}
            Err(e) => builder.problem(e, &format!("/Resources/{}/Condition", escape_pointer(id))),
        }
    }
    let of_type = |ty: &str| -> Vec<(&str, &Node)> {
        existing
            .iter()
            .filter(|(_, n)| n.get("Type").and_then(Node::as_str) == Some(ty))
            .copied()
            .collect()
    };
    for (id, node) in of_type("AWS::ApiGateway::Model") {
        builder.model(doc, id, node);
    }
    for (id, node) in of_type("AWS::ApiGateway::RequestValidator") {
        builder.validator(doc, id, node);
    }
    for (id, node) in of_type("AWS::ApiGateway::GatewayResponse") {
        builder.gateway_response(doc, id, node);
    }
    for (id, node) in of_type("AWS::ApiGateway::Authorizer") {
        builder.authorizer(doc, id, node);
    }
    for (id, node) in of_type("AWS::ApiGateway::Method") {
        builder.method(doc, id, node);
    }
    builder.out
}

impl Builder<'_, '_> {
    fn problem(&mut self, error: Error, pointer: &str) {
        self.out.problems.push(Note {
            pos: error.pos,
            pointer: pointer.to_string(),
            message: error.message,
        });
    }

    fn warn(&mut self, pos: Pos, pointer: String, message: String) {
        self.out.warnings.push(Note {
            pos,
            pointer,
            message,
        });
    }

    /// A resource's properties, resolved; `None` after reporting a problem.
    fn properties(&mut self, id: &str, node: &Node) -> Option<Map<String, Json>> {
        let Some(properties) = node.get("Properties") else {
            return Some(Map::new());
        };
        match self.resolver.resolve(properties) {
            Ok(Some(Json::Object(map))) => Some(map),
            Ok(_) => {
                self.problem(
                    Error::new(properties.pos, "Properties must be a mapping"),
                    &properties_pointer(id),
                );
                None
            }
            Err(e) => {
                self.problem(e, &properties_pointer(id));
                None
            }
        }
    }

    fn pos_of(&self, node: &Node, property: &str) -> Pos {
        node.get("Properties")
            .and_then(|p| p.get(property))
            .map_or(node.pos, |n| n.pos)
    }

    /// The name a model, validator or authorizer goes by: its `Name`, else
    /// its logical id (which is also what a `Ref` to it gives).
    fn name_of(&self, id: &str) -> String {
        self.resolver
            .resource(id)
            .and_then(|node| self.resolver.property(node, "Name", 0).ok().flatten())
            .unwrap_or_else(|| id.to_string())
    }

    /// Warns about each property of `properties` not in `known`.
    fn unsupported(
        &mut self,
        id: &str,
        node: &Node,
        properties: &Map<String, Json>,
        known: &[&str],
        what: &str,
    ) {
        for key in properties.keys() {
            if !known.contains(&key.as_str()) {
                self.warn(
                    self.pos_of(node, key),
                    property_pointer(id, key),
                    format!("{what}'s `{key}` is not supported and is ignored"),
                );
            }
        }
    }

    fn model(&mut self, doc: &mut Map<String, Json>, id: &str, node: &Node) {
        let Some(p) = self.properties(id, node) else {
            return;
        };
        self.unsupported(
            id,
            node,
            &p,
            &["RestApiId", "Name", "ContentType", "Schema", "Description"],
            "AWS::ApiGateway::Model",
        );
        let name = p
            .get("Name")
            .and_then(scalar_string)
            .unwrap_or_else(|| id.to_string());
        // A schema may be written as JSON text, as the API Gateway API takes it.
        let schema = match p.get("Schema") {
            Some(Json::String(text)) => match serde_json::from_str(text) {
                Ok(schema) => schema,
                Err(e) => {
                    let pos = self.pos_of(node, "Schema");
                    self.problem(
                        Error::new(pos, format!("the Schema is not JSON: {e}")),
                        &property_pointer(id, "Schema"),
                    );
                    return;
                }
            },
            Some(schema) => schema.clone(),
            None => json!({}),
        };
        let pointer = format!("/components/schemas/{}", escape_pointer(&name));
        entry(doc, "components")
            .entry("schemas")
            .or_insert_with(|| json!({}));
        if let Some(Json::Object(schemas)) =
            doc.get_mut("components").and_then(|c| c.get_mut("schemas"))
        {
            schemas.insert(name, schema);
        }
        self.out.map.push((pointer, property_pointer(id, "Schema")));
    }

    fn validator(&mut self, doc: &mut Map<String, Json>, id: &str, node: &Node) {
        let Some(p) = self.properties(id, node) else {
            return;
        };
        self.unsupported(
            id,
            node,
            &p,
            &[
                "RestApiId",
                "Name",
                "ValidateRequestBody",
                "ValidateRequestParameters",
            ],
            "AWS::ApiGateway::RequestValidator",
        );
        let name = self.name_of(id);
        let flag = |key: &str| {
            p.get(key)
                .and_then(scalar_string)
                .is_some_and(|v| v == "true")
        };
        let validators = entry(doc, "x-amazon-apigateway-request-validators");
        validators.insert(
            name.clone(),
            json!({
                "validateRequestBody": flag("ValidateRequestBody"),
                "validateRequestParameters": flag("ValidateRequestParameters"),
            }),
        );
        self.out.map.push((
            format!(
                "/x-amazon-apigateway-request-validators/{}",
                escape_pointer(&name)
            ),
            properties_pointer(id),
        ));
    }

    fn gateway_response(&mut self, doc: &mut Map<String, Json>, id: &str, node: &Node) {
        let Some(p) = self.properties(id, node) else {
            return;
        };
        self.unsupported(
            id,
            node,
            &p,
            &[
                "RestApiId",
                "ResponseType",
                "StatusCode",
                "ResponseParameters",
                "ResponseTemplates",
            ],
            "AWS::ApiGateway::GatewayResponse",
        );
        let Some(kind) = p.get("ResponseType").and_then(scalar_string) else {
            self.problem(
                Error::new(node.pos, "a GatewayResponse without ResponseType"),
                &format!("/Resources/{}", escape_pointer(id)),
            );
            return;
        };
        let mut response = Map::new();
        if let Some(status) = p.get("StatusCode") {
            response.insert("statusCode".into(), status.clone());
        }
        for (from, to) in [
            ("ResponseParameters", "responseParameters"),
            ("ResponseTemplates", "responseTemplates"),
        ] {
            if let Some(value) = p.get(from) {
                response.insert(to.into(), value.clone());
                self.out.map.push((
                    format!(
                        "/x-amazon-apigateway-gateway-responses/{}/{to}",
                        escape_pointer(&kind)
                    ),
                    property_pointer(id, from),
                ));
            }
        }
        entry(doc, "x-amazon-apigateway-gateway-responses")
            .insert(kind.clone(), Json::Object(response));
        self.out.map.push((
            format!(
                "/x-amazon-apigateway-gateway-responses/{}",
                escape_pointer(&kind)
            ),
            properties_pointer(id),
        ));
    }

    fn authorizer(&mut self, doc: &mut Map<String, Json>, id: &str, node: &Node) {
        let Some(p) = self.properties(id, node) else {
            return;
        };
        let name = self.name_of(id);
        let kind = p
            .get("Type")
            .and_then(scalar_string)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut authorizer = Map::new();
        authorizer.insert("type".into(), Json::String(kind.clone()));
        for (from, to) in [
            ("AuthorizerUri", "authorizerUri"),
            ("AuthorizerCredentials", "authorizerCredentials"),
            ("IdentitySource", "identitySource"),
            (
                "IdentityValidationExpression",
                "identityValidationExpression",
            ),
            (
                "AuthorizerResultTtlInSeconds",
                "authorizerResultTtlInSeconds",
            ),
            ("ProviderARNs", "providerARNs"),
        ] {
            if let Some(value) = p.get(from) {
                authorizer.insert(to.into(), value.clone());
                self.out.map.push((
                    format!(
                        "/components/securitySchemes/{}/x-amazon-apigateway-authorizer/{to}",
                        escape_pointer(&name)
                    ),
                    property_pointer(id, from),
                ));
            }
        }
        self.unsupported(
            id,
            node,
            &p,
            &[
                "RestApiId",
                "Name",
                "Type",
                "AuthorizerUri",
                "AuthorizerCredentials",
                "IdentitySource",
                "IdentityValidationExpression",
                "AuthorizerResultTtlInSeconds",
                "ProviderARNs",
                "AuthType",
            ],
            "AWS::ApiGateway::Authorizer",
        );
        // The header a token comes in, for the scheme's `name`.
        let header = p
            .get("IdentitySource")
            .and_then(Json::as_str)
            .and_then(|s| s.strip_prefix("method.request.header."))
            .unwrap_or("Authorization")
            .to_string();
        let auth_type = if kind == "cognito_user_pools" {
            "cognito_user_pools"
        } else {
            "custom"
        };
        let scheme = json!({
            "type": "apiKey",
            "name": header,
            "in": "header",
            "x-amazon-apigateway-authtype": auth_type,
            "x-amazon-apigateway-authorizer": authorizer,
        });
        security_schemes(doc).insert(name.clone(), scheme);
        self.out.map.push((
            format!("/components/securitySchemes/{}", escape_pointer(&name)),
            properties_pointer(id),
        ));
    }

    /// The path of an `AWS::ApiGateway::Resource` (or the root), from its
    /// `PathPart` and its parents'.
    fn path_of(&mut self, reference: &Node, pointer: &str) -> Option<String> {
        let mut parts = Vec::new();
        let mut at = reference;
        let mut seen = Vec::new();
        loop {
            if is_root_of(at, self.api) {
                break;
            }
            let Some(id) = ref_target(at) else {
                self.problem(
                    Error::new(at.pos, format!("expected `!Ref` to an AWS::ApiGateway::Resource or `!GetAtt {}.RootResourceId`", self.api)),
                    pointer,
                );
                return None;
            };
            let resource = self.resolver.resource(id).filter(|r| {
                r.get("Type").and_then(Node::as_str) == Some("AWS::ApiGateway::Resource")
            });
            let Some(resource) = resource else {
                self.problem(
                    Error::new(
                        at.pos,
                        format!("`{id}` is not an AWS::ApiGateway::Resource of this template"),
                    ),
                    pointer,
                );
                return None;
            };
            if seen.contains(&id) {
                self.problem(
                    Error::new(at.pos, format!("the resource `{id}` is its own parent")),
                    pointer,
                );
                return None;
            }
            seen.push(id);
            let part = resource.get("Properties").and_then(|p| p.get("PathPart"));
            let part = match part.map(|p| self.resolver.resolve_string(p)) {
                Some(Ok(part)) => part,
                Some(Err(e)) => {
                    self.problem(e, &property_pointer(id, "PathPart"));
                    return None;
                }
                None => {
                    self.problem(
                        Error::new(resource.pos, format!("the resource `{id}` has no PathPart")),
                        &format!("/Resources/{}", escape_pointer(id)),
                    );
                    return None;
                }
            };
            parts.push(part);
            let Some(parent) = resource.get("Properties").and_then(|p| p.get("ParentId")) else {
                self.problem(
                    Error::new(resource.pos, format!("the resource `{id}` has no ParentId")),
                    &format!("/Resources/{}", escape_pointer(id)),
                );
                return None;
            };
            at = parent;
        }
        parts.reverse();
        Some(format!("/{}", parts.join("/")))
    }

    fn method(&mut self, doc: &mut Map<String, Json>, id: &str, node: &Node) {
        let Some(resource_id) = node.get("Properties").and_then(|p| p.get("ResourceId")) else {
            self.problem(
                Error::new(node.pos, "a Method without ResourceId"),
                &format!("/Resources/{}", escape_pointer(id)),
            );
            return;
        };
        let Some(path) = self.path_of(resource_id, &property_pointer(id, "ResourceId")) else {
            return;
        };
        let Some(p) = self.properties(id, node) else {
            return;
        };
        self.unsupported(
            id,
            node,
            &p,
            &[
                "RestApiId",
                "ResourceId",
                "HttpMethod",
                "AuthorizationType",
                "AuthorizerId",
                "AuthorizationScopes",
                "ApiKeyRequired",
                "RequestParameters",
                "RequestModels",
                "RequestValidatorId",
                "Integration",
                "MethodResponses",
                "OperationName",
            ],
            "AWS::ApiGateway::Method",
        );
        let Some(verb) = p.get("HttpMethod").and_then(scalar_string) else {
            self.problem(
                Error::new(node.pos, "a Method without HttpMethod"),
                &format!("/Resources/{}", escape_pointer(id)),
            );
            return;
        };
        let verb = verb.to_ascii_lowercase();
        let key = if verb == "any" {
            "x-amazon-apigateway-any-method".to_string()
        } else {
            verb
        };
        let here = format!("/paths/{}/{}", escape_pointer(&path), escape_pointer(&key));
        let from = |property: &str| property_pointer(id, property);
        self.out.map.push((here.clone(), properties_pointer(id)));

        let mut operation = Map::new();
        if let Some(name) = p.get("OperationName") {
            operation.insert("operationId".into(), name.clone());
        }
        operation.insert(
            "parameters".into(),
            Json::Array(parameters(&path, p.get("RequestParameters"))),
        );
        if p.contains_key("RequestParameters") {
            self.out
                .map
                .push((format!("{here}/parameters"), from("RequestParameters")));
        }
        if let Some(Json::Object(models)) = p.get("RequestModels") {
            let content: Map<String, Json> = models
                .iter()
                .map(|(media_type, model)| {
                    let name = scalar_string(model).unwrap_or_default();
                    let reference = format!("#/components/schemas/{}", escape_pointer(&name));
                    (media_type.clone(), json!({"schema": {"$ref": reference}}))
                })
                .collect();
            operation.insert("requestBody".into(), json!({"content": content}));
            self.out
                .map
                .push((format!("{here}/requestBody/content"), from("RequestModels")));
        }
        if let Some(validator) = p.get("RequestValidatorId").and_then(scalar_string) {
            operation.insert(
                "x-amazon-apigateway-request-validator".into(),
                Json::String(self.name_of(&validator)),
            );
            self.out.map.push((
                format!("{here}/x-amazon-apigateway-request-validator"),
                from("RequestValidatorId"),
            ));
        }
        operation.insert(
            "responses".into(),
            method_responses(p.get("MethodResponses")),
        );
        if p.contains_key("MethodResponses") {
            self.out
                .map
                .push((format!("{here}/responses"), from("MethodResponses")));
        }
        let security = self.security(doc, &p);
        if !security.is_empty() {
            operation.insert("security".into(), Json::Array(security));
            self.out
                .map
                .push((format!("{here}/security"), from("AuthorizationType")));
        }
        match p.get("Integration") {
            Some(Json::Object(integration)) => {
                let integration = self.integration(
                    integration,
                    &format!("{here}/x-amazon-apigateway-integration"),
                    &from("Integration"),
                );
                operation.insert(
                    "x-amazon-apigateway-integration".into(),
                    Json::Object(integration),
                );
            }
            _ => {
                self.problem(
                    Error::new(
                        node.pos,
                        "a Method without an Integration: the gateway has nothing to call",
                    ),
                    &properties_pointer(id),
                );
                return;
            }
        }
        let paths = entry(doc, "paths");
        let item = paths.entry(path).or_insert_with(|| json!({}));
        if let Json::Object(item) = item {
            item.insert(key, Json::Object(operation));
        }
    }

    /// `security` of an operation, and the schemes it names.
    fn security(&mut self, doc: &mut Map<String, Json>, p: &Map<String, Json>) -> Vec<Json> {
        let mut security = Vec::new();
        let kind = p
            .get("AuthorizationType")
            .and_then(scalar_string)
            .unwrap_or_else(|| "NONE".into());
        match kind.to_ascii_uppercase().as_str() {
            "AWS_IAM" => {
                security_schemes(doc).entry("sigv4").or_insert_with(|| {
                    json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"})
                });
                security.push(json!({"sigv4": []}));
            }
            "CUSTOM" | "COGNITO_USER_POOLS" => {
                let authorizer = p
                    .get("AuthorizerId")
                    .and_then(scalar_string)
                    .unwrap_or_default();
                let scopes = p
                    .get("AuthorizationScopes")
                    .cloned()
                    .unwrap_or_else(|| json!([]));
                security.push(json!({ self.name_of(&authorizer): scopes }));
            }
            _ => {}
        }
        if p.get("ApiKeyRequired").and_then(scalar_string).as_deref() == Some("true") {
            security_schemes(doc)
                .entry("api_key")
                .or_insert_with(|| json!({"type": "apiKey", "name": "x-api-key", "in": "header"}));
            security.push(json!({"api_key": []}));
        }
        security
    }

    /// CloudFormation's `Integration` as `x-amazon-apigateway-integration`.
    fn integration(
        &mut self,
        from: &Map<String, Json>,
        here: &str,
        there: &str,
    ) -> Map<String, Json> {
        let mut out = Map::new();
        for (key, value) in from {
            let (name, value) = match key.as_str() {
                "Type" => ("type", lowercase(value)),
                "IntegrationHttpMethod" => ("httpMethod", value.clone()),
                "PassthroughBehavior" => ("passthroughBehavior", lowercase(value)),
                "TimeoutInMillis" => ("timeoutInMillis", value.clone()),
                "IntegrationResponses" => ("responses", integration_responses(value)),
                // Uri, Credentials, RequestParameters, RequestTemplates,
                // ContentHandling, CacheKeyParameters, CacheNamespace,
                // ConnectionType, ConnectionId...: the extension spells them
                // in camel case; the converter names those it does not run.
                other => {
                    let camel = format!("{}{}", other[..1].to_ascii_lowercase(), &other[1..]);
                    out.insert(camel.clone(), value.clone());
                    self.out.map.push((
                        format!("{here}/{camel}"),
                        format!("{there}/{}", escape_pointer(other)),
                    ));
                    continue;
                }
            };
            out.insert(name.to_string(), value);
            self.out.map.push((
                format!("{here}/{name}"),
                format!("{there}/{}", escape_pointer(key)),
            ));
        }
        // The converter's key for a response is its selection pattern; the
        // template's is its index.
        if let Some(Json::Array(responses)) = from.get("IntegrationResponses") {
            for (index, response) in responses.iter().enumerate() {
                let pattern = response
                    .get("SelectionPattern")
                    .and_then(scalar_string)
                    .unwrap_or_else(|| "default".into());
                let at = format!("{here}/responses/{}", escape_pointer(&pattern));
                let source = format!("{there}/IntegrationResponses/{index}");
                for (from_key, to_key) in [
                    ("ResponseParameters", "responseParameters"),
                    ("ResponseTemplates", "responseTemplates"),
                    ("StatusCode", "statusCode"),
                    ("ContentHandling", "contentHandling"),
                ] {
                    self.out
                        .map
                        .push((format!("{at}/{to_key}"), format!("{source}/{from_key}")));
                }
                self.out.map.push((at, source));
            }
        }
        self.out.map.push((here.to_string(), there.to_string()));
        out
    }
}

fn lowercase(value: &Json) -> Json {
    match value {
        Json::String(s) => Json::String(s.to_ascii_lowercase()),
        other => other.clone(),
    }
}

fn integration_responses(value: &Json) -> Json {
    let Json::Array(responses) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    for response in responses {
        let pattern = response
            .get("SelectionPattern")
            .and_then(scalar_string)
            .unwrap_or_else(|| "default".into());
        let mut converted = Map::new();
        if let Json::Object(fields) = response {
            for (key, value) in fields {
                let name = match key.as_str() {
                    "SelectionPattern" => continue,
                    "StatusCode" => "statusCode",
                    "ResponseParameters" => "responseParameters",
                    "ResponseTemplates" => "responseTemplates",
                    "ContentHandling" => "contentHandling",
                    other => other,
                };
                converted.insert(name.to_string(), value.clone());
            }
        }
        out.insert(pattern, Json::Object(converted));
    }
    Json::Object(out)
}

/// OpenAPI parameters: the path's own, and the method's declared ones.
fn parameters(path: &str, declared: Option<&Json>) -> Vec<Json> {
    let mut out = Vec::new();
    let mut names = Vec::new();
    if let Some(Json::Object(declared)) = declared {
        for (key, required) in declared {
            let Some(rest) = key.strip_prefix("method.request.") else {
                out.push(json!({"name": key, "in": "unknown", "required": required}));
                continue;
            };
            let (place, name) = rest.split_once('.').unwrap_or((rest, ""));
            let place = match place {
                "querystring" => "query",
                "multivaluequerystring" => "query",
                other => other,
            };
            let required = scalar_string(required).as_deref() == Some("true") || place == "path";
            names.push((place.to_string(), name.to_string()));
            out.push(json!({"name": name, "in": place, "required": required, "schema": {"type": "string"}}));
        }
    }
    for segment in path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let name = name.trim_end_matches('+');
            if !names.iter().any(|(p, n)| p == "path" && n == name) {
                out.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
    }
    out
}

fn method_responses(value: Option<&Json>) -> Json {
    let mut out = Map::new();
    if let Some(Json::Array(responses)) = value {
        for response in responses {
            let Some(status) = response.get("StatusCode").and_then(scalar_string) else {
                continue;
            };
            let mut converted = Map::new();
            converted.insert(
                "description".into(),
                Json::String(format!("{status} response")),
            );
            if let Some(Json::Object(parameters)) = response.get("ResponseParameters") {
                let headers: Map<String, Json> = parameters
                    .keys()
                    .filter_map(|k| k.strip_prefix("method.response.header."))
                    .map(|h| (h.to_string(), json!({"schema": {"type": "string"}})))
                    .collect();
                converted.insert("headers".into(), Json::Object(headers));
            }
            if let Some(Json::Object(models)) = response.get("ResponseModels") {
                let content: Map<String, Json> = models
                    .iter()
                    .map(|(media_type, model)| {
                        let name = scalar_string(model).unwrap_or_default();
                        (media_type.clone(), json!({"schema": {"$ref": format!("#/components/schemas/{}", escape_pointer(&name))}}))
                    })
                    .collect();
                converted.insert("content".into(), Json::Object(content));
            }
            out.insert(status, Json::Object(converted));
        }
    }
    if out.is_empty() {
        out.insert("200".into(), json!({"description": "200 response"}));
    }
    Json::Object(out)
}

/// The mapping at `key` of `doc`, made when missing.
fn entry<'d>(doc: &'d mut Map<String, Json>, key: &str) -> &'d mut Map<String, Json> {
    let value = doc.entry(key.to_string()).or_insert_with(|| json!({}));
    if !value.is_object() {
        *value = json!({});
    }
    match value {
        Json::Object(map) => map,
        _ => unreachable!("made a mapping just above"),
    }
}

fn security_schemes(doc: &mut Map<String, Json>) -> &mut Map<String, Json> {
    entry(entry(doc, "components"), "securitySchemes")
}
