//! Amazon Route 53 (API 2013-04-01) with an access key, AWS Signature Version 4.
//! https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
//! The hosted zone is found by name (`ListHostedZonesByName`) unless its id is given; the RRset
//! is read with `ListResourceRecordSets`; one change batch carries an `UPSERT` per changed name and
//! type (all hostnames, A and AAAA). Answers are XML.

use super::rest::{secrets_only, update_records, xml_all, xml_text, Api, Existing, Name, Records};
use super::sign::{self, Canonical, Credentials};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::http::{host_of, Method, Request};

pub struct Route53;

static FIELDS: &[Field] = &[
    Field::required(
        "username",
        FieldKind::Text,
        "access key ID (an IAM user allowed route53:ChangeResourceRecordSets)",
    ),
    Field::required("password", FieldKind::Secret, "secret access key"),
    Field::required("zone", FieldKind::Text, "the hosted zone's domain, e.g. example.org"),
    Field::optional("zone_id", FieldKind::Text, "hosted zone ID (Z…), to skip looking it up by name"),
    SERVER_FIELD,
];

const VERSION: &str = "/2013-04-01";

/// Pages of 100 zones looked at for one name: far more private zones than anyone shares a name among.
const MAX_ZONE_PAGES: usize = 5;

impl Protocol for Route53 {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Route 53", &[], secrets_only);
        let zone_id = job.account.param("zone_id").map(|z| z.trim_start_matches("/hostedzone/").to_string());
        update_records(job, "Route 53", &mut Aws { api, zone_id, now: sign::now, changes: String::new() }, 300, 0)
    }
}

struct Aws<'a> {
    api: Api<'a>,
    zone_id: Option<String>,
    /// `<Change>` elements, sent together in one change batch.
    changes: String,
    now: fn() -> u64,
}

/// A SigV4-signed request (region us-east-1, service route53: Route 53 is global).
pub fn signed(
    base: &str,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &str,
    key: &Credentials,
) -> Request {
    let (key_id, secret) = (key.id, key.secret);
    let amz_date = sign::basic_iso8601(key.now);
    let host = host_of(base);
    let signed_path = format!("{}{path}", sign::base_path(base));
    let canonical = Canonical {
        method: method.as_str(),
        path: &signed_path,
        query,
        headers: &[("host", host), ("x-amz-date", &amz_date)],
        payload: body.as_bytes(),
    };
    let (request, signed_headers) = canonical.request();
    let scope = format!("{}/us-east-1/route53/aws4_request", &amz_date[..8]);
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sign::sha256_hex(request.as_bytes()));
    let key = sign::derive_key(&format!("AWS4{secret}"), &[&amz_date[..8], "us-east-1", "route53", "aws4_request"]);
    let signature = sign::hex(&sign::hmac_sha256(&key, &to_sign));
    let mut req = Request::new(method, sign::url(base, path, query))
        .header("X-Amz-Date", amz_date)
        .header(
            "Authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        )
        .secret(secret);
    if !body.is_empty() {
        req = req.header("Content-Type", "application/xml");
        req.body = Some(body.to_string());
    }
    req
}

impl Aws<'_> {
    fn call(&mut self, method: Method, path: &str, query: &[(&str, &str)], body: &str) -> Result<String, Outcome> {
        let key = Credentials::of(self.api.job.account, (self.now)());
        let req = signed(self.api.base(), method, path, query, body, &key);
        Ok(self.api.send_raw(req, false)?.map(|r| r.body).unwrap_or_default())
    }

    fn zone_id(&mut self, zone: &str) -> Result<String, Outcome> {
        if let Some(id) = &self.zone_id {
            return Ok(id.clone());
        }
        // A public and any number of private zones (one per VPC set) may share the name; the
        // listing is sorted by name, so they come together, possibly across pages.
        let apex = format!("{zone}.");
        let (mut public, mut private) = (None, Vec::new());
        let mut from: Option<String> = None;
        for _ in 0..MAX_ZONE_PAGES {
            let mut query = vec![("dnsname", zone), ("maxitems", "100")];
            if let Some(id) = &from {
                query.push(("hostedzoneid", id));
            }
            let listed = self.call(Method::Get, &format!("{VERSION}/hostedzonesbyname"), &query, "")?;
            for z in xml_all(&listed, "HostedZone") {
                let named = xml_text(z, "Name").is_some_and(|n| n.eq_ignore_ascii_case(&apex));
                let Some(id) = xml_text(z, "Id").map(|id| id.trim_start_matches("/hostedzone/").to_string()) else {
                    continue;
                };
                match (named, xml_text(z, "PrivateZone")) {
                    (true, Some("true")) => private.push(id),
                    (true, _) => public = public.or(Some(id)),
                    (false, _) => {}
                }
            }
            let more = xml_text(&listed, "IsTruncated") == Some("true")
                && xml_text(&listed, "NextDNSName").is_some_and(|n| n.eq_ignore_ascii_case(&apex));
            if public.is_some() || !more {
                break;
            }
            from = xml_text(&listed, "NextHostedZoneId").map(str::to_string);
        }
        let id = public.ok_or_else(|| {
            let why = if private.is_empty() {
                format!("Route 53 has no hosted zone {zone} for this key")
            } else {
                format!(
                    "Route 53 has only private hosted zones named {zone} ({}), which the internet does not see: \
                     set zone_id to update one of them anyway",
                    private.join(", ")
                )
            };
            Outcome::stop(Kind::NoSuchRecord, why)
        })?;
        if private.is_empty() {
            log::info!("Route 53: {zone} is the public hosted zone {id}");
        } else {
            log::info!(
                "Route 53: {zone} is the public hosted zone {id} (skipping the private ones: {})",
                private.join(", ")
            );
        }
        self.zone_id = Some(id.clone());
        Ok(id)
    }
}

impl Records for Aws<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let id = self.zone_id(name.zone)?;
        let fqdn = format!("{}.", name.fqdn());
        let query = [("name", fqdn.as_str()), ("type", name.rtype), ("maxitems", "1")];
        let listed = self.call(Method::Get, &format!("{VERSION}/hostedzone/{id}/rrset"), &query, "")?;
        // The listing starts at the name and type asked for, or at the next RRset when there is none.
        let values = xml_all(&listed, "ResourceRecordSet")
            .into_iter()
            .filter(|s| xml_text(s, "Name") == Some(fqdn.as_str()) && xml_text(s, "Type") == Some(name.rtype))
            .flat_map(|s| xml_all(s, "Value"))
            .map(|v| Existing { id: String::new(), value: v.to_string() })
            .collect();
        Ok(values)
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.changes.push_str(&format!(
            "<Change><Action>UPSERT</Action><ResourceRecordSet><Name>{}.</Name><Type>{}</Type><TTL>{ttl}</TTL>\
             <ResourceRecords><ResourceRecord><Value>{ip}</Value></ResourceRecord></ResourceRecords>\
             </ResourceRecordSet></Change>",
            name.fqdn(),
            name.rtype
        ));
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }

    fn flush(&mut self) -> Result<(), Outcome> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.changes);
        // The zone id was found by the lookups that queued the changes.
        let id = self.zone_id.clone().unwrap_or_default();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
             <ChangeBatch><Comment>edgeddns</Comment><Changes>{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
        );
        self.call(Method::Post, &format!("{VERSION}/hostedzone/{id}/rrset/"), &[], &body).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn finds_the_zone_reads_the_rrset_and_upserts() {
        let svc = service(
            "config service s\n option provider 'route53'\n list hostname 'home.example.org'\n option username 'AKIDEXAMPLE'\n \
             option password 'aws-secret'\n option zone 'example.org'\n",
        );
        let zones = r#"<?xml version="1.0"?><ListHostedZonesByNameResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
            <HostedZones><HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id><Name>example.org.</Name><CallerReference>x</CallerReference>
            <Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>4</ResourceRecordSetCount></HostedZone></HostedZones>
            <DNSName>example.org</DNSName><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListHostedZonesByNameResponse>"#;
        let rrsets = r#"<?xml version="1.0"?><ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
            <ResourceRecordSets><ResourceRecordSet><Name>home.example.org.</Name><Type>A</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>198.51.100.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>
            </ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>"#;
        let change = r#"<?xml version="1.0"?><ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id>
            <Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"#;
        let mut t =
            Scripted::new(vec![Scripted::body(200, zones), Scripted::body(200, rrsets), Scripted::body(200, change)]);
        let r = Route53.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzonesbyname?dnsname=example.org&maxitems=100"
        );
        assert_eq!(
            t.sent[1].url,
            "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset?name=home.example.org.&type=A&maxitems=1"
        );
        let auth = t.sent[1].header_value("Authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "{auth}");
        assert!(auth.contains("/us-east-1/route53/aws4_request, SignedHeaders=host;x-amz-date, Signature="));
        assert_eq!(t.sent[2].url, "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset/");
        let body = t.sent[2].body.as_deref().unwrap();
        assert!(body.contains(
            "<Action>UPSERT</Action><ResourceRecordSet><Name>home.example.org.</Name><Type>A</Type><TTL>300</TTL>"
        ));
        assert!(body.contains("<Value>198.51.100.2</Value>"));
        assert_eq!(r[0].outcome, Outcome::Updated);

        let denied = r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error>
            <Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message>
            </Error><RequestId>x</RequestId></ErrorResponse>"#;
        let mut t = Scripted::new(vec![Scripted::body(403, denied)]);
        let r = Route53.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("security token included")));
        assert_no_secret(&r, "aws-secret");
    }

    /// A service's A record and a LAN host's AAAA record, with addresses of their own, go in
    /// one change batch after one zone lookup.
    #[test]
    fn records_with_different_addresses_share_one_change_batch() {
        let svc = service(
            "config service s\n option provider 'route53'\n list hostname 'home.example.org'\n option username 'AKIDEXAMPLE'\n \
             option password 'aws-secret'\n option zone 'example.org'\n option zone_id 'Z1'\n",
        );
        let empty = r#"<?xml version="1.0"?><ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
            <ResourceRecordSets></ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>"#;
        let change = r#"<?xml version="1.0"?><ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id>
            <Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"#;
        let svc = crate::config::Service {
            account: crate::providers::Account { create_missing: true, ..svc.account },
            ..svc
        };
        let mut job = job(&svc, Some("198.51.100.2"), None);
        job.records
            .push(crate::providers::Target { host: "nas.example.org".into(), ip: "2001:db8:0:20::5".parse().unwrap() });
        let mut t =
            Scripted::new(vec![Scripted::body(200, empty), Scripted::body(200, empty), Scripted::body(200, change)]);
        let r = Route53.update(&job, &mut t);
        assert!(r.iter().all(|r| r.outcome == Outcome::Updated), "{r:?}");
        assert_eq!(t.sent.len(), 3, "two lookups, one change batch");
        let body = t.sent[2].body.as_deref().unwrap();
        assert_eq!(body.matches("<Change>").count(), 2, "{body}");
        assert!(
            body.contains("<Name>home.example.org.</Name><Type>A</Type>")
                && body.contains("<Value>198.51.100.2</Value>")
        );
        assert!(
            body.contains("<Name>nas.example.org.</Name><Type>AAAA</Type>")
                && body.contains("<Value>2001:db8:0:20::5</Value>")
        );
    }

    /// A private zone of the same name listed first (as ListHostedZonesByName does, sorted by
    /// name then id) is skipped, across pages; only private ones is a clear stop.
    #[test]
    fn the_public_zone_is_chosen_over_private_ones() {
        let svc = service(
            "config service s\n option provider 'route53'\n list hostname 'home.example.org'\n option username 'AKIDEXAMPLE'\n \
             option password 'aws-secret'\n option zone 'example.org'\n",
        );
        let zone = |id: &str, private: bool| {
            format!(
                "<HostedZone><Id>/hostedzone/{id}</Id><Name>example.org.</Name><CallerReference>r</CallerReference>\
                 <Config><Comment>c</Comment><PrivateZone>{private}</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>"
            )
        };
        let page = |zones: &str, next: Option<&str>| {
            let more = match next {
                Some(id) => format!("<IsTruncated>true</IsTruncated><NextDNSName>example.org.</NextDNSName><NextHostedZoneId>{id}</NextHostedZoneId>"),
                None => "<IsTruncated>false</IsTruncated>".to_string(),
            };
            format!(
                "<?xml version=\"1.0\"?><ListHostedZonesByNameResponse><HostedZones>{zones}</HostedZones>\
                     <DNSName>example.org</DNSName>{more}<MaxItems>100</MaxItems></ListHostedZonesByNameResponse>"
            )
        };
        let rrsets = "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>home.example.org.</Name>\
                      <Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>198.51.100.2</Value></ResourceRecord>\
                      </ResourceRecords></ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>";
        let mut t = Scripted::new(vec![
            Scripted::body(200, &page(&zone("ZPRIVATE1", true), Some("ZPUBLIC"))),
            Scripted::body(200, &page(&format!("{}{}", zone("ZPUBLIC", false), zone("ZPRIVATE2", true)), None)),
            Scripted::body(200, rrsets),
        ]);
        let r = Route53.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome, Outcome::Unchanged);
        assert!(t.sent[1].url.ends_with("&hostedzoneid=ZPUBLIC"), "{}", t.sent[1].url);
        assert!(t.sent[2].url.contains("/hostedzone/ZPUBLIC/rrset"), "{}", t.sent[2].url);

        let mut t = Scripted::new(vec![Scripted::body(200, &page(&zone("ZPRIVATE1", true), None))]);
        let r = Route53.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { kind: Kind::NoSuchRecord, reason } if reason.contains("only private") && reason.contains("ZPRIVATE1")),
            "{r:?}"
        );
    }

    /// A proxy or regional endpoint with a path: the path sent is the path signed.
    #[test]
    fn a_path_in_server_is_signed() {
        let key = Credentials { id: "AKID", secret: "s", now: 1_440_938_160 };
        let path = "/2013-04-01/hostedzone/Z1/rrset";
        let behind = signed("https://proxy.example/aws", Method::Get, path, &[("type", "A")], "", &key);
        let direct = signed("https://proxy.example", Method::Get, &format!("/aws{path}"), &[("type", "A")], "", &key);
        assert_eq!(behind.url, "https://proxy.example/aws/2013-04-01/hostedzone/Z1/rrset?type=A");
        assert_eq!(behind.header_value("Authorization"), direct.header_value("Authorization"));
    }

    #[test]
    fn the_signature_is_stable_for_a_fixed_clock() {
        let a = signed(
            "https://route53.amazonaws.com",
            Method::Get,
            "/2013-04-01/hostedzone/Z1/rrset",
            &[("type", "A")],
            "",
            &Credentials { id: "AKID", secret: "s", now: 1_440_938_160 },
        );
        assert_eq!(a.header_value("X-Amz-Date"), Some("20150830T123600Z"));
        let b = signed(
            "https://route53.amazonaws.com",
            Method::Get,
            "/2013-04-01/hostedzone/Z1/rrset",
            &[("type", "AAAA")],
            "",
            &Credentials { id: "AKID", secret: "s", now: 1_440_938_160 },
        );
        assert_ne!(a.header_value("Authorization"), b.header_value("Authorization"), "the query is signed");
    }
}
