"""Batches are dynamic partitions: a batch id is registered when its folder is found."""

import dagster as dg

BATCH_PARTITIONS = dg.DynamicPartitionsDefinition(name="batch")
