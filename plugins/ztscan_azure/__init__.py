"""The AZURE provider plugin for ztscan."""
