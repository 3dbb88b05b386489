"""Dagster wiring: assets, checks, resources, partitions and jobs. Asset logic lives outside."""
