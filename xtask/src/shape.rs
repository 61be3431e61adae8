//! The one transform that turns a scenario recorded from moto into the answers real AWS gives
//! (`cargo xtask fixtures refresh` applies it to every moto-made scenario, before the hand-edited
//! ones are derived). Each change is a documented difference between moto and AWS
//! (`../shared/PROCEDURE.md`, botocore's service models):
//!
//! - **Content types.** CloudTrail, Config, KMS and Organizations speak `awsJson1_1`: AWS
//!   answers `content-type: application/x-amz-json-1.1`; moto says `text/html; charset=utf-8`.
//! - **Field omission.** AWS never sends JSON `null` (a last `ListAccounts` page has no
//!   `NextToken`), and a trail that is not encrypted has no `KmsKeyId` at all; moto sends `null`s
//!   and `"KmsKeyId": ""`.
//! - **S3 request ids.** S3 answers carry `x-amz-request-id` and `x-amz-id-2` (AWS Support asks for
//!   both); moto sends `x-amzn-requestid` only. S3 answers XML, never `text/html` as moto's empty
//!   answers say.
//! - **Regions.** A commercial account's `DescribeRegions` (`AllRegions`) lists the `aws`
//!   partition's regions only (no `cn-*`, no `us-gov-*`): the 17 regions every account has
//!   `opt-in-not-required` (the article's list), every opt-in region `not-opted-in`. Moto calls
//!   some opt-in regions `opt-in-not-required`, so the recording scanned them: their exchanges are
//!   dropped, as the shaped account never calls them.

use std::collections::{BTreeMap, BTreeSet};

use runbook::http::Fixture;
use serde_json::Value;

/// The commercial regions that need no opt-in: the 17 regions of the article's output.
pub const OPT_IN_NOT_REQUIRED: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Services whose protocol is `awsJson1_1` (botocore: `"protocol": "json", "jsonVersion": "1.1"`).
const JSON_1_1: &[&str] = &["cloudtrail", "config", "kms", "organizations"];
const AWS_JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// What `shape` changed, for the scenario's description.
#[derive(Debug, Default, PartialEq)]
pub struct Shaped {
    /// Regions the recording scanned that the shaped account does not (moto's opt-in regions
    /// marked `opt-in-not-required`), and how many exchanges went with them.
    pub dropped_regions: BTreeSet<String>,
    pub dropped_exchanges: usize,
    /// Whether the recording holds Organizations answers (a batch over the organization).
    pub organizations: bool,
}

impl Shaped {
    /// The sentence a shaped scenario's description ends with.
    pub fn note(&self) -> String {
        let mut note = String::from(
            "Shaped like AWS's answers (xtask/src/shape.rs), from moto's recording: DescribeRegions lists \
             the commercial partition only (no cn-*/us-gov-*), the 17 regions of the article \
             opt-in-not-required and the opt-in regions not-opted-in",
        );
        if !self.dropped_regions.is_empty() {
            let regions: Vec<&str> = self.dropped_regions.iter().map(String::as_str).collect();
            note += &format!(
                " (the {} exchanges for {}, which moto calls opt-in-not-required, were dropped)",
                self.dropped_exchanges,
                regions.join(", ")
            );
        }
        note += if self.organizations {
            "; CloudTrail, Config, KMS and Organizations answer"
        } else {
            "; CloudTrail, Config and KMS answer"
        };
        note += " application/x-amz-json-1.1 (moto: text/html); a \
                 trail that is not encrypted has no KmsKeyId and no field is null (moto: \"\" and null); \
                 S3 answers carry x-amz-request-id and x-amz-id-2 (moto: x-amzn-requestid).";
        note
    }
}

/// Shapes a moto recording into AWS's answers, in place.
pub fn shape(fixture: &mut Fixture) -> Shaped {
    let mut shaped = Shaped::default();
    for e in &mut fixture.exchanges {
        let service = e.key.service.as_str();
        shaped.organizations |= service == "organizations";
        if JSON_1_1.contains(&service) {
            if e.response.headers.contains_key("content-type") {
                e.response
                    .headers
                    .insert("content-type".into(), AWS_JSON_CONTENT_TYPE.into());
            }
            e.response.body = omit_empty_fields(&e.response.body);
        }
        if service == "s3" {
            s3_headers(&mut e.response.headers);
            // S3 answers XML; an empty answer (PutBucketEncryption's 200) has no content type.
            if e.response
                .headers
                .get("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
            {
                if e.response.body.is_empty() {
                    e.response.headers.remove("content-type");
                } else {
                    e.response
                        .headers
                        .insert("content-type".into(), "application/xml".into());
                }
            }
        }
        if service == "ec2" && e.key.operation == "DescribeRegions" && e.response.status == 200 {
            let (body, unscanned) = commercial_regions(&e.response.body);
            e.response.body = body;
            shaped.dropped_regions.extend(unscanned);
        }
    }
    let before = fixture.exchanges.len();
    fixture
        .exchanges
        .retain(|e| !shaped.dropped_regions.contains(&e.key.region));
    shaped.dropped_exchanges = before - fixture.exchanges.len();
    shaped
}

/// [`shape`] for a recording that follows another on the same account and asks no
/// `DescribeRegions` of its own (an undo verifies the regions the revert it undoes scanned):
/// the regions the other's shaping left unscanned (`unscanned`) are dropped here too.
pub fn shape_following(fixture: &mut Fixture, unscanned: &BTreeSet<String>) -> Shaped {
    let mut shaped = shape(fixture);
    let before = fixture.exchanges.len();
    fixture
        .exchanges
        .retain(|e| !unscanned.contains(&e.key.region));
    shaped.dropped_exchanges += before - fixture.exchanges.len();
    shaped.dropped_regions.extend(unscanned.iter().cloned());
    shaped
}

/// A JSON answer without `null`s, and without a trail's empty `KmsKeyId`. Not JSON: unchanged.
fn omit_empty_fields(body: &str) -> String {
    fn clean(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, v| !(v.is_null() || (k == "KmsKeyId" && v == "")));
                map.values_mut().for_each(clean);
            }
            Value::Array(items) => items.iter_mut().for_each(clean),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(mut v) => {
            clean(&mut v);
            v.to_string()
        }
        Err(_) => body.to_string(),
    }
}

/// S3's own request-id headers in place of moto's `x-amzn-requestid`.
fn s3_headers(headers: &mut BTreeMap<String, String>) {
    let Some(id) = headers.remove("x-amzn-requestid") else {
        return;
    };
    // AWS's request id is 16 upper-case hex digits and its id-2 a base64 token; these are made
    // from moto's id, so that a refresh gives the same fixture.
    let digest = fnv(&id);
    headers
        .entry("x-amz-request-id".into())
        .or_insert_with(|| format!("{digest:016X}"));
    headers
        .entry("x-amz-id-2".into())
        .or_insert_with(|| format!("{id}/{digest:016x}="));
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// `DescribeRegions`' XML answer as a commercial account sees it, and the regions that were
/// enabled in it and are not any more.
fn commercial_regions(xml: &str) -> (String, BTreeSet<String>) {
    let tag = |item: &str, name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = item.find(&open)? + open.len();
        let end = item[start..].find(&format!("</{name}>"))? + start;
        Some(item[start..end].to_string())
    };
    let mut unscanned = BTreeSet::new();
    let mut parts = xml.split("<item>");
    let mut out = parts.next().unwrap_or_default().to_string();
    for item in parts {
        let (item, rest) = item.split_once("</item>").unwrap_or((item, ""));
        let region = tag(item, "regionName").unwrap_or_default();
        let was = tag(item, "optInStatus").unwrap_or_default();
        if region.starts_with("cn-") || region.starts_with("us-gov-") {
            out += rest;
            continue;
        }
        let status = if OPT_IN_NOT_REQUIRED.contains(&region.as_str()) {
            "opt-in-not-required"
        } else {
            "not-opted-in"
        };
        if status == "not-opted-in" && was != "not-opted-in" {
            unscanned.insert(region.clone());
        }
        let item = match (item.find("<optInStatus>"), item.find("</optInStatus>")) {
            (Some(start), Some(end)) => {
                format!("{}<optInStatus>{status}{}", &item[..start], &item[end..])
            }
            _ => format!("<optInStatus>{status}</optInStatus>{item}"),
        };
        out += &format!("<item>{item}</item>{rest}");
    }
    (out, unscanned)
}

#[cfg(test)]
mod tests {
    use runbook::http::{Exchange, RecordedRequest, RecordedResponse, RequestKey};

    use super::*;

    fn exchange(
        service: &str,
        region: &str,
        operation: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Exchange {
        Exchange {
            key: RequestKey {
                service: service.into(),
                region: region.into(),
                operation: operation.into(),
                params: String::new(),
            },
            request: RecordedRequest {
                method: "POST".into(),
                path: "/".into(),
                headers: BTreeMap::new(),
                body: String::new(),
            },
            response: RecordedResponse {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.into(),
            },
        }
    }

    fn fixture(exchanges: Vec<Exchange>) -> Fixture {
        Fixture {
            description: String::new(),
            origin: "recorded".into(),
            region: "ap-northeast-1".into(),
            run_args: vec![],
            exchanges,
        }
    }

    const MOTO_REGIONS: &str = "<?xml version=\"1.0\"?>\n<DescribeRegionsResponse><regionInfo>\
        <item><optInStatus>opt-in-not-required</optInStatus><regionName>af-south-1</regionName></item>\
        <item><optInStatus>not-opted-in</optInStatus><regionName>ap-east-1</regionName></item>\
        <item><optInStatus>opt-in-not-required</optInStatus><regionName>ap-northeast-1</regionName></item>\
        <item><optInStatus>opt-in-not-required</optInStatus><regionName>cn-north-1</regionName></item>\
        <item><optInStatus>opt-in-not-required</optInStatus><regionName>us-gov-west-1</regionName></item>\
        </regionInfo></DescribeRegionsResponse>";

    #[test]
    fn the_region_list_is_a_commercial_accounts_and_its_lost_regions_exchanges_go() {
        let mut f = fixture(vec![
            exchange(
                "ec2",
                "ap-northeast-1",
                "DescribeRegions",
                &[],
                MOTO_REGIONS,
            ),
            exchange("cloudtrail", "af-south-1", "DescribeTrails", &[], "{}"),
            exchange(
                "config",
                "af-south-1",
                "DescribeDeliveryChannels",
                &[],
                "{}",
            ),
            exchange("cloudtrail", "ap-northeast-1", "DescribeTrails", &[], "{}"),
        ]);
        let shaped = shape(&mut f);
        assert_eq!(
            shaped.dropped_regions,
            BTreeSet::from(["af-south-1".to_string()])
        );
        assert_eq!(shaped.dropped_exchanges, 2);
        assert_eq!(f.exchanges.len(), 2);
        let regions = &f.exchanges[0].response.body;
        assert!(regions.contains(
            "<item><optInStatus>not-opted-in</optInStatus><regionName>af-south-1</regionName></item>"
        ));
        assert!(regions.contains(
            "<item><optInStatus>not-opted-in</optInStatus><regionName>ap-east-1</regionName></item>"
        ));
        assert!(regions
            .contains("<optInStatus>opt-in-not-required</optInStatus><regionName>ap-northeast-1<"));
        assert!(
            !regions.contains("cn-north-1") && !regions.contains("us-gov-"),
            "{regions}"
        );
        assert!(
            regions.ends_with("</regionInfo></DescribeRegionsResponse>"),
            "{regions}"
        );
        assert!(shaped.note().contains("af-south-1"));
    }

    /// An undo asks no DescribeRegions: it verifies where the revert scanned, so the regions
    /// the revert's shaping dropped go from the undo's recording too.
    #[test]
    fn a_following_recording_drops_the_regions_the_first_one_lost() {
        let mut revert = fixture(vec![
            exchange(
                "ec2",
                "ap-northeast-1",
                "DescribeRegions",
                &[],
                MOTO_REGIONS,
            ),
            exchange("cloudtrail", "af-south-1", "DescribeTrails", &[], "{}"),
        ]);
        let lost = shape(&mut revert).dropped_regions;
        let mut undo = fixture(vec![
            exchange("cloudtrail", "af-south-1", "DescribeTrails", &[], "{}"),
            exchange("cloudtrail", "ap-northeast-1", "DescribeTrails", &[], "{}"),
        ]);
        let shaped = shape_following(&mut undo, &lost);
        assert_eq!(undo.exchanges.len(), 1);
        assert_eq!(undo.exchanges[0].key.region, "ap-northeast-1");
        assert_eq!(shaped.dropped_exchanges, 1);
        assert!(shaped.note().contains("af-south-1"), "{}", shaped.note());
    }

    #[test]
    fn the_article_lists_seventeen_regions() {
        assert_eq!(OPT_IN_NOT_REQUIRED.len(), 17);
    }

    #[test]
    fn json_answers_get_awss_content_type_and_omit_what_aws_omits() {
        let moto = r#"{"trailList": [{"Name": "Members", "KmsKeyId": "", "CloudWatchLogsRoleArn": null},
            {"Name": "Other", "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}]}"#;
        let mut f = fixture(vec![exchange(
            "cloudtrail",
            "ap-northeast-1",
            "DescribeTrails",
            &[
                ("content-type", "text/html; charset=utf-8"),
                ("x-amzn-requestid", "r"),
            ],
            moto,
        )]);
        shape(&mut f);
        let r = &f.exchanges[0].response;
        assert_eq!(r.headers["content-type"], "application/x-amz-json-1.1");
        assert_eq!(
            r.headers["x-amzn-requestid"], "r",
            "JSON services keep x-amzn-requestid"
        );
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["trailList"][0], serde_json::json!({"Name": "Members"}));
        assert_eq!(
            body["trailList"][1]["KmsKeyId"],
            "arn:aws:kms:us-east-1:123456789012:key/k"
        );
    }

    #[test]
    fn organizations_answers_are_json_too_and_the_note_says_so() {
        let moto =
            r#"{"Accounts": [{"Id": "123456789012", "State": "ACTIVE"}], "NextToken": null}"#;
        let mut f = fixture(vec![exchange(
            "organizations",
            "us-east-1",
            "ListAccounts",
            &[("content-type", "text/html; charset=utf-8")],
            moto,
        )]);
        let shaped = shape(&mut f);
        let r = &f.exchanges[0].response;
        assert_eq!(r.headers["content-type"], "application/x-amz-json-1.1");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Accounts": [{"Id": "123456789012", "State": "ACTIVE"}]}),
            "a last page has no NextToken"
        );
        assert!(
            shaped.note().contains("KMS and Organizations answer"),
            "{}",
            shaped.note()
        );
        let mut without = fixture(vec![]);
        assert!(
            shape(&mut without).note().contains("Config and KMS answer"),
            "Organizations is named only where it answered"
        );
    }

    #[test]
    fn s3_answers_carry_both_of_s3s_request_ids() {
        let mut f = fixture(vec![exchange(
            "s3",
            "ap-northeast-1",
            "HeadBucket",
            &[
                ("x-amzn-requestid", "MOTO1"),
                ("x-amz-bucket-region", "ap-northeast-1"),
            ],
            "",
        )]);
        shape(&mut f);
        let h = &f.exchanges[0].response.headers;
        assert!(!h.contains_key("x-amzn-requestid"));
        assert_eq!(h["x-amz-request-id"].len(), 16);
        assert!(h["x-amz-id-2"].starts_with("MOTO1/"));
        assert_eq!(h["x-amz-bucket-region"], "ap-northeast-1");
        let again = h.clone();
        let mut g = fixture(vec![exchange(
            "s3",
            "ap-northeast-1",
            "HeadBucket",
            &[
                ("x-amzn-requestid", "MOTO1"),
                ("x-amz-bucket-region", "ap-northeast-1"),
            ],
            "",
        )]);
        shape(&mut g);
        assert_eq!(
            g.exchanges[0].response.headers, again,
            "the same recording, the same ids"
        );
    }

    #[test]
    fn what_is_not_json_is_left_as_it_is() {
        assert_eq!(omit_empty_fields("not json"), "not json");
    }
}
