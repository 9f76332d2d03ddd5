"""Senders, one module per outbound channel (sms.py so far)."""
