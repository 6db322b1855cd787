"""Who may do what: the users file (``users``), roles and collections (``names``, ``users``), sign-in and its
throttle (``gate``, ``throttle``, ``sessions``), and the audit log (``audit``). Without a users file the app is
open to whoever reaches it, which is the loopback default; ``qa.webapp`` refuses to listen further without one."""
