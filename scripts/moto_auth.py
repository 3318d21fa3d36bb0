"""Switch on signature checking in a running moto server.

Creates an IAM user allowed to call every action, gives it an access key,
then turns moto's SigV4 verification on with /moto-api/reset-auth. Prints the
key as JSON: {"access_key_id": ..., "secret_access_key": ...}.

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
    iam.create_user(UserName=args.user)
    key = iam.create_access_key(UserName=args.user)["AccessKey"]
    policy = iam.create_policy(PolicyName=f"{args.user}-all", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.attach_user_policy(UserName=args.user, PolicyArn=policy["Policy"]["Arn"])

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

    print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
