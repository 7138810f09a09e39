"""boto3 against a moto server: make hosted zones and read record sets back.

Usage:
  route53.py ENDPOINT zones ZONE [private]...   create hosted zones for ZONE in that order
                                                 ("private": attached to a new VPC); prints their ids
  route53.py ENDPOINT records ZONE_ID            prints the zone's A and AAAA record sets as JSON
"""

import json
import sys
import uuid

import boto3

KEY = dict(aws_access_key_id="AKIDTHIRDPARTY", aws_secret_access_key="moto-secret", region_name="us-east-1")


def client(endpoint, service):
    return boto3.client(service, endpoint_url=endpoint, **KEY)


def zones(endpoint, zone, kinds):
    r53 = client(endpoint, "route53")
    ids = []
    for kind in kinds:
        args = dict(Name=zone, CallerReference=str(uuid.uuid4()))
        if kind == "private":
            vpc = client(endpoint, "ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            args.update(HostedZoneConfig={"PrivateZone": True}, VPC={"VPCRegion": "us-east-1", "VPCId": vpc})
        ids.append(r53.create_hosted_zone(**args)["HostedZone"]["Id"].split("/")[-1])
    print(json.dumps(ids))


def records(endpoint, zone_id):
    sets = client(endpoint, "route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    out = {
        f'{s["Name"]} {s["Type"]}': sorted(r["Value"] for r in s.get("ResourceRecords", []))
        for s in sets
        if s["Type"] in ("A", "AAAA")
    }
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    endpoint, command, *args = sys.argv[1:]
    if command == "zones":
        zones(endpoint, args[0], args[1:])
    else:
        records(endpoint, args[0])
