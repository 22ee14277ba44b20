"""The AWS provider plugin for ztscan (boto3)."""
