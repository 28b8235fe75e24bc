"""A fake Alibaba Cloud (R-KVStore 2015-01-01, VPC 2016-04-28, STS, ECS metadata) for kvmove's tests."""
