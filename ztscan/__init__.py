"""ztscan: zero-trust and HIPAA Security Rule checks for healthcare cloud estates."""

__version__ = "0.1.0"
