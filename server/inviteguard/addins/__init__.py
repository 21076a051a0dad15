"""The Outlook manifest and Thunderbird XPI built per deployment. Imports only web and below."""
