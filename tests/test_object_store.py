"""The S3 test server itself: pyarrow (through AWS_ENDPOINT_URL) and boto3 see the same objects."""

import pyarrow.fs as pafs


def test_s3_roundtrip(s3_server, s3_bucket):
    fs, path = pafs.FileSystem.from_uri(f"s3://{s3_bucket}/x")
    with fs.open_output_stream(f"{s3_bucket}/a.txt") as f:
        f.write(b"hello")
    assert fs.open_input_file(f"{s3_bucket}/a.txt").read() == b"hello"
    assert s3_server.client().get_object(Bucket=s3_bucket, Key="a.txt")["Body"].read() == b"hello"
