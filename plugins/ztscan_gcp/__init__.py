"""The GCP provider plugin for ztscan."""
