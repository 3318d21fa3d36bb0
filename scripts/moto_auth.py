"""Switch on signature checking in a running moto server.

Creates an IAM user allowed to call every action, gives it an access key,
creates two roles for integrations to assume (gateway-writer: every action;
gateway-reader: Kinesis reads only), then turns moto's SigV4 verification on
with /moto-api/reset-auth. Prints JSON:
{"access_key_id": ..., "secret_access_key": ..., "roles": {"gateway-writer": <arn>, ...}}.

The IAM calls run before checking is on, so they need no valid credentials.
"""

import argparse
import json
import urllib.request

import botocore.session

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
KINESIS_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kinesis:Describe*", "kinesis:List*", "kinesis:Get*"],
            "Resource": "*",
        }
    ],
}
ROLES = {"gateway-writer": ALLOW_ALL, "gateway-reader": KINESIS_READ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="moto's URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--user", default="gateway")
    args = parser.parse_args()

    iam = botocore.session.get_session().create_client(
        "iam",
        region_name="us-east-1",
        endpoint_url=args.endpoint,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    user = iam.create_user(UserName=args.user)["User"]
    key = iam.create_access_key(UserName=args.user)["AccessKey"]
    policy = iam.create_policy(PolicyName=f"{args.user}-all", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.attach_user_policy(UserName=args.user, PolicyArn=policy["Policy"]["Arn"])

    # The gateway assumes the roles as this user, so the user is the trusted
    # principal (moto checks trust policies, and only AWS principals).
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}],
    }
    roles = {}
    for name, document in ROLES.items():
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(document))
        roles[name] = role["Role"]["Arn"]

    # text/plain: with a form content type moto reads an empty body and fails.
    request = urllib.request.Request(
        f"{args.endpoint}/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        status = json.load(response)
    if status.get("status") != "ok":
        raise SystemExit(f"moto refused to switch on signature checking: {status}")

    print(
        json.dumps(
            {
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "roles": roles,
            }
        )
    )


if __name__ == "__main__":
    main()
