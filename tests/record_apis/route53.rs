//! Route 53: SigV4-signed XML API, one UPSERT batch.

use super::*;

pub const DOUBLE: Double = Double::new(
    "route53",
    "",
    "\toption username 'AKIDEXAMPLE'\n\toption password 'SECRET'\n",
    |r| verify::aws(r, "AKIDEXAMPLE", SECRET),
    route,
    error,
);

scenario_tests!();

/// Route 53's XML error; a bad signature is a 403.
fn error(status: u16, m: &str) -> Reply {
    Reply {
        status: if status == 401 { 403 } else { status },
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>\
             <Message>{m}</Message></Error></ErrorResponse>"
        ),
    }
}

fn xml_tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    Some(&xml[start..start + xml[start..].find(&format!("</{tag}>"))?])
}

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let xml = |body: String| Reply { status: 200, headers: vec![("Content-Type".into(), "text/xml".into())], body };
    match (r.method.as_str(), r.path()) {
        ("GET", "/2013-04-01/hostedzonesbyname") => Ok(xml(format!(
            "<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/ZTEST1</Id>\
             <Name>{ZONE}.</Name></HostedZone></HostedZones><IsTruncated>false</IsTruncated></ListHostedZonesByNameResponse>"
        ))),
        ("GET", "/2013-04-01/hostedzone/ZTEST1/rrset") => {
            // Like Route 53: the listing starts at the name and type asked for, in DNS order.
            let want = r.query("name").unwrap_or_default();
            let mut names: Vec<(String, String)> =
                s.recs.iter().map(|x| (format!("{}.", fqdn(&x.name)), x.rtype.clone())).collect();
            names.sort();
            names.dedup();
            let first = names.into_iter().find(|(n, t)| (n.as_str(), t.as_str()) >= (want.as_str(), r.query("type").unwrap_or_default().as_str()));
            let sets = first.map(|(n, t)| {
                let recs = s.named(n.trim_end_matches(&format!(".{ZONE}.")), &t);
                let values: String = recs.iter().map(|x| format!("<ResourceRecord><Value>{}</Value></ResourceRecord>", x.value)).collect();
                format!("<ResourceRecordSet><Name>{n}</Name><Type>{t}</Type><TTL>{}</TTL><ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>", recs[0].ttl)
            });
            Ok(xml(format!(
                "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse><ResourceRecordSets>{}</ResourceRecordSets>\
                 <IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
                sets.unwrap_or_default()
            )))
        }
        ("POST", "/2013-04-01/hostedzone/ZTEST1/rrset/") => {
            // Like Route 53: the batch is checked whole, then applied.
            let changes: Vec<&str> = r.body.split("<Change>").skip(1).collect();
            if changes.is_empty() {
                return Err(bad("InvalidChangeBatch: no changes".into()));
            }
            let mut parsed = Vec::new();
            for c in changes {
                if xml_tag(c, "Action") != Some("UPSERT") {
                    return Err(bad("InvalidChangeBatch: only UPSERT expected".into()));
                }
                let (Some(name), Some(rtype), Some(ttl), Some(value)) =
                    (xml_tag(c, "Name"), xml_tag(c, "Type"), xml_tag(c, "TTL"), xml_tag(c, "Value"))
                else {
                    return Err(bad("InvalidInput: incomplete ResourceRecordSet".into()));
                };
                let rel = name.strip_suffix(&format!(".{ZONE}.")).ok_or(bad(format!("{name} is not in the zone")))?;
                parsed.push((rel.to_string(), rtype.to_string(), value.to_string(), ttl.parse::<u64>().map_err(|_| bad("TTL".into()))?));
            }
            for (rel, rtype, value, ttl) in parsed {
                s.set(&rel, &rtype, &[value], ttl).map_err(bad)?;
            }
            Ok(xml("<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>".into()))
        }
        _ => no_route(),
    }
}
