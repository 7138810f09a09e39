"""Recompute the signatures of requests edgeddns sent, with the providers' official SDKs.

Usage: signatures.py CAPTURE.json

CAPTURE.json: {"scheme": "aws" | "aliyun" | "tc3" | "huawei" | "google-jwt",
               "id": key id, "secret": secret (google-jwt: the service-account key JSON),
               "requests": [{"method", "url", "headers": [[name, value], ...], "body"}, ...]}

For each request the SDK signs the same method, URL, signed headers, body and timestamp the
request carries, and its signature must equal the one edgeddns sent. Prints one line per request
and exits 1 on the first mismatch.
"""

import json
import sys
import urllib.parse


def header(req, name):
    for n, v in req["headers"]:
        if n.lower() == name.lower():
            return v
    return None


def auth_fields(value, scheme):
    """`Credential=…, SignedHeaders=…, Signature=…` (or `Access=…`) after the scheme."""
    assert value and value.startswith(scheme + " "), f"not {scheme}: {value!r}"
    return dict(part.split("=", 1) for part in value[len(scheme) + 1:].split(", "))


def aws(req, key_id, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ours = auth_fields(header(req, "authorization"), "AWS4-HMAC-SHA256")
    signed = ours["SignedHeaders"].split(";")
    # AWS requires every x-amz-* header sent to be signed.
    for n, _ in req["headers"]:
        assert not n.lower().startswith("x-amz-") or n.lower() in signed, f"{n} sent but not signed"
    headers = {n: v for n, v in req["headers"] if n.lower() in signed and n.lower() != "host"}
    request = AWSRequest(method=req["method"], url=req["url"], data=req["body"].encode(), headers=headers)
    auth = SigV4Auth(Credentials(key_id, secret), "route53", "us-east-1")
    # add_auth would take the time now; the request's own X-Amz-Date is the timestamp signed.
    request.context["timestamp"] = header(req, "x-amz-date")
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    theirs = {
        "Credential": f"{key_id}/{auth.credential_scope(request)}",
        "SignedHeaders": auth.signed_headers(auth.headers_to_sign(request)),
        "Signature": signature,
    }
    return ours, theirs


def aliyun(req, key_id, secret):
    from alibabacloud_openapi_util.client import Client

    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(req["url"]).query, keep_blank_values=True))
    ours = {"Signature": params.pop("Signature"), "AccessKeyId": params["AccessKeyId"]}
    theirs = {"Signature": Client.get_rpcsignature(params, req["method"], secret), "AccessKeyId": key_id}
    return ours, theirs


def tc3(req, key_id, secret):
    import datetime
    from tencentcloud.common.abstract_client import AbstractClient
    from tencentcloud.common.http.request import RequestInternal

    ours = auth_fields(header(req, "authorization"), "TC3-HMAC-SHA256")
    url = urllib.parse.urlsplit(req["url"])
    timestamp = header(req, "x-tc-timestamp")
    date = datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%d")
    internal = RequestInternal(
        host=url.netloc,
        method=req["method"],
        uri=url.path or "/",
        header={"Content-Type": header(req, "content-type"), "Host": header(req, "host"), "X-TC-Timestamp": timestamp},
        data=req["body"],
    )
    service = url.netloc.split(".")[0] if "tencentcloudapi" in url.netloc else "dnspod"
    # The SDK's own canonical request and key derivation (what AbstractClient signs with).
    signature = AbstractClient._get_tc3_signature(None, {}, internal, date, service, secret)
    theirs = {
        "Credential": f"{key_id}/{date}/{service}/tc3_request",
        "SignedHeaders": "content-type;host",
        "Signature": signature,
    }
    return ours, theirs


def huawei(req, key_id, secret):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    ours = auth_fields(header(req, "authorization"), "SDK-HMAC-SHA256")
    signed = ours["SignedHeaders"].split(";")
    url = urllib.parse.urlsplit(req["url"])
    request = SdkRequest(
        method=req["method"],
        schema=url.scheme,
        host=url.netloc,
        resource_path=url.path,
        query_params=urllib.parse.parse_qsl(url.query, keep_blank_values=True),
        header_params={n: v for n, v in req["headers"] if n.lower() in signed},
        body=req["body"] or None,
    )
    Signer(BasicCredentials(key_id, secret)).sign(request)
    theirs = auth_fields(request.header_params["Authorization"], "SDK-HMAC-SHA256")
    return ours, theirs


def google_jwt(req, _, key_json):
    """The token request's JWT assertion: google-auth signs the same header and claims with the
    same key (RS256 is deterministic), verifies ours, and builds its own claims for the same time."""
    import datetime
    from unittest import mock
    from google.auth import crypt, jwt
    from google.oauth2 import service_account

    info = json.loads(key_json)
    form = dict(urllib.parse.parse_qsl(req["body"]))
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", form
    assertion = form["assertion"]
    signing_input, _, sig = assertion.rpartition(".")
    signer = crypt.RSASigner.from_service_account_info(info)
    resigned = jwt._helpers.unpadded_urlsafe_b64encode(signer.sign(signing_input.encode())).decode()
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(assertion, certs=public, audience=info["token_uri"])
    scope = claims["scope"]
    credentials = service_account.Credentials.from_service_account_info(info, scopes=[scope])
    at = datetime.datetime.fromtimestamp(claims["iat"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("google.auth._helpers.utcnow", return_value=at):
        theirs_jwt = credentials._make_authorization_grant_assertion()
    theirs_claims = jwt.decode(theirs_jwt, certs=public, verify=True, audience=google_token_endpoint(theirs_jwt))
    # google-auth always puts Google's token endpoint in "aud" (as Google documents); edgeddns
    # puts the key file's token_uri there, which is the same URL in every key Google issues but
    # here is the local stand-in. Only that claim may differ, and only in that way.
    assert claims["aud"] == info["token_uri"], claims
    claims = {**claims, "aud": theirs_claims["aud"]}
    ours = {"signature": sig, "claims": claims, "header": jwt.decode_header(assertion)}
    theirs = {"signature": resigned, "claims": theirs_claims, "header": jwt.decode_header(theirs_jwt)}
    return ours, theirs


def google_token_endpoint(token):
    from google.auth import jwt

    return jwt.decode(token, verify=False)["aud"]


SCHEMES = {"aws": aws, "aliyun": aliyun, "tc3": tc3, "huawei": huawei, "google-jwt": google_jwt}


def main():
    with open(sys.argv[1]) as f:
        capture = json.load(f)
    check = SCHEMES[capture["scheme"]]
    for req in capture["requests"]:
        ours, theirs = check(req, capture["id"], capture["secret"])
        where = f'{req["method"]} {req["url"]}'
        if ours != theirs:
            print(f"MISMATCH {capture['scheme']} {where}\n  edgeddns: {ours}\n  SDK:      {theirs}")
            sys.exit(1)
        print(f"agree {capture['scheme']} {where}")


if __name__ == "__main__":
    main()
