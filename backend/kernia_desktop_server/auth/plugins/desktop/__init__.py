"""The desktop hand-off: a finished provider sign-in reaches the shell as a single-use code bound to the
shell's PKCE challenge, never as a session token in a URL or a cookie in its web view."""
