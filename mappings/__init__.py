"""Data files: the rule catalogue, the control catalogues and their JSON schemas.

This directory is shipped inside the wheel as the package ``ztscan.mappings``.
"""
