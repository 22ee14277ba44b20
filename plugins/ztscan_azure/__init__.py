"""The Azure provider plugin for ztscan: ARM through the azure-mgmt clients, Entra ID through Microsoft Graph."""
