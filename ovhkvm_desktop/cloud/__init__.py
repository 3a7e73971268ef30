"""OVHcloud: API clients per profile, login, server inventory, console acquisition, rescue.

Everything here is blocking (python-ovh uses requests): call it on a worker thread, or through
the ``a*`` coroutines that do so, never on the GUI thread.
"""
