"""Sign in: the app's own page for visitors without a session. Passwords are typed into
the HTML form at /auth/sign-in (asgi.py), which sets the session cookie; this page sends
the browser there, and shows single sign-on's answers (a refusal, an expired identity)."""

from __future__ import annotations

import streamlit as st

from sos_workforce.access import PROVIDER
from ui import (
    SIGNED_OUT_KEY,
    SSO_REFUSED_KEY,
    current_path,
    navigate_to,
    runtime,
    sign_in_url,
    sign_out,
)

context = runtime()
st.title("sos-workforce")
st.write(
    "Run and measure your Signs of Safety implementation: staff confidence surveys, "
    "response rates and results your executive group can trust."
)
reason = st.session_state.get(SIGNED_OUT_KEY)
if reason:
    st.info(reason)

refusal = st.session_state.get(SSO_REFUSED_KEY)
if context.settings.sso_enabled:
    label = context.settings.oidc_label
    if refusal and not refusal[1]:
        st.error(refusal[0])
        if st.button(f"Sign out of {label}", key="sso_sign_out"):
            sign_out()
    else:
        if refusal:  # expired: sign in again
            st.info(refusal[0])
        if st.button(f"Sign in with {label}", type="primary", key="sso_sign_in"):
            st.session_state.pop(SSO_REFUSED_KEY, None)
            st.login(PROVIDER)

form = sign_in_url(current_path())
st.html(f'<p><a href="{form}">Sign in with your email and password</a></p>')
if not refusal:
    navigate_to(form)  # the form brings the person back to the page they asked for

st.caption("Staff answering a survey do not need an account: use the link you were sent.")
