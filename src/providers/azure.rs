//! Azure DNS (Azure Resource Manager, API version 2018-05-01) with a service principal.
//! https://learn.microsoft.com/en-us/rest/api/dns/record-sets — a client-credentials token from
//! Microsoft Entra ID (`/{tenant}/oauth2/v2.0/token`, scope management.azure.com), then the
//! record set `…/dnsZones/{zone}/{A|AAAA}/{name}` is read and replaced with one `PUT` (which
//! also creates it). The apex is `@`.

use super::rest::{secrets_only, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Azure;

static FIELDS: &[Field] = &[
    Field::required(
        "username",
        FieldKind::Text,
        "application (client) ID of a service principal with DNS Zone Contributor",
    ),
    Field::required("password", FieldKind::Secret, "client secret"),
    Field::required("tenant", FieldKind::Text, "directory (tenant) ID"),
    Field::required("subscription", FieldKind::Text, "subscription ID"),
    Field::required("resource_group", FieldKind::Text, "resource group of the DNS zone"),
    Field::required("zone", FieldKind::Text, "the DNS zone, e.g. example.org"),
    Field::optional("login_server", FieldKind::Url, "Entra ID endpoint (another cloud)"),
    Field::optional("server", FieldKind::Url, "Resource Manager endpoint (another cloud)"),
];

impl Protocol for Azure {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Azure DNS", &["/error/message", "/error_description"], secrets_only);
        update_records(job, "Azure DNS", &mut Arm { api, token: None }, 300, 1)
    }
}

struct Arm<'a> {
    api: Api<'a>,
    token: Option<String>,
}

/// The record-set property holding the addresses of a type, and each entry's field.
fn records_key(rtype: &str) -> (&'static str, &'static str) {
    if rtype == "AAAA" {
        ("AAAARecords", "ipv6Address")
    } else {
        ("ARecords", "ipv4Address")
    }
}

impl Arm<'_> {
    fn token(&mut self) -> Result<String, Outcome> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let svc = self.api.job.account;
        let login = svc.param("login_server").unwrap_or("https://login.microsoftonline.com").trim_end_matches('/');
        let url = format!("{login}/{}/oauth2/v2.0/token", url_encode(svc.param("tenant").unwrap_or("")));
        let mut req = Request::new(Method::Post, url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .secret(svc.password.expose());
        req.body = Some(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            url_encode(&svc.username),
            url_encode(svc.password.expose()),
            url_encode("https://management.azure.com/.default")
        ));
        let answer = self.api.send(req)?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "Entra ID gave no access token"))?;
        self.token = Some(token.to_string());
        Ok(token.to_string())
    }

    fn url(&self, name: &Name) -> String {
        let svc = self.api.job.account;
        let p = |k: &str| url_encode(svc.param(k).unwrap_or(""));
        format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/dnsZones/{}/{}/{}?api-version=2018-05-01",
            self.api.base(),
            p("subscription"),
            p("resource_group"),
            url_encode(name.zone),
            name.rtype,
            url_encode(&name.relative)
        )
    }
}

impl Records for Arm<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let token = self.token()?;
        let req = Request::new(Method::Get, self.url(name)).bearer(&token);
        let Some(resp) = self.api.send_raw(req, true)? else {
            return Ok(vec![]);
        };
        let set: Value = resp.json().unwrap_or_default();
        let (key, field) = records_key(name.rtype);
        Ok(Existing::collect(&set["properties"][key], field, field, |_| true))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let token = self.token()?;
        let (key, field) = records_key(name.rtype);
        let body = json!({"properties": {"TTL": ttl, key: [{field: ip}]}});
        self.api.send(Request::new(Method::Put, self.url(name)).bearer(&token).json_body(&body)).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn client_credentials_then_the_record_set() {
        let svc = service(
            "config service s\n option provider 'azure'\n list hostname 'home.example.org'\n option username 'app-id'\n \
             option password 'az-secret'\n option tenant 'tenant-1'\n option subscription 'sub-1'\n \
             option resource_group 'rg-dns'\n option zone 'example.org'\n",
        );
        let set = r#"{"id":"/subscriptions/sub-1/.../A/home","name":"home","type":"Microsoft.Network/dnszones/A","etag":"x",
            "properties":{"fqdn":"home.example.org.","TTL":3600,"ARecords":[{"ipv4Address":"198.51.100.1"}]}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi.az"}"#),
            Scripted::body(200, set),
            Scripted::body(200, set),
        ]);
        let r = Azure.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
        assert_eq!(
            t.sent[0].body.as_deref(),
            Some("grant_type=client_credentials&client_id=app-id&client_secret=az-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default")
        );
        assert!(!t.sent[0].display_masked().contains("az-secret"));
        assert_eq!(
            t.sent[1].url,
            "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/example.org/A/home?api-version=2018-05-01"
        );
        assert_eq!(t.sent[2].method, Method::Put);
        assert_eq!(
            t.sent[2].body.as_deref(),
            Some(r#"{"properties":{"ARecords":[{"ipv4Address":"198.51.100.2"}],"TTL":300}}"#)
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied =
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        let mut t = Scripted::new(vec![Scripted::body(401, denied)]);
        let r = Azure.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid client secret")));
        assert_no_secret(&r, "az-secret");
    }
}
