"""Who is who: members and their accounts, staff, station credentials.

Commit: bindings.bind_phone, bindings.unbind, erasure.erase_member. Only flush:
members.create_member. Redis only (no database): phone_codes.issue / verify / forget.
"""
