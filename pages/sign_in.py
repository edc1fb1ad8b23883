"""Sign in: with the organisation's single sign-on when configured, or a local account."""

from __future__ import annotations

import streamlit as st

from sos_workforce.access import PROVIDER, sign_in
from sos_workforce.core.errors import SignInFailed
from ui import ACTOR_KEY, SSO_REFUSED_KEY, client_source, runtime, sign_out

context = runtime()
st.title("sos-workforce")
st.write(
    "Run and measure your Signs of Safety implementation: staff confidence surveys, "
    "response rates and results your executive group can trust."
)
reason = st.session_state.pop("signed_out_reason", None)
if reason:
    st.info(reason)

if context.settings.sso_enabled:
    label = context.settings.oidc_label
    refusal = st.session_state.get(SSO_REFUSED_KEY)
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
    st.caption("Or sign in with a local account:")

with st.form("sign_in"):
    st.subheader("Sign in")
    email = st.text_input("Email", autocomplete="username", key="email")
    password = st.text_input(
        "Password", type="password", autocomplete="current-password", key="password"
    )
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    try:
        st.session_state[ACTOR_KEY] = sign_in(
            context.db, email, password, source=client_source(context.settings)
        )
    except SignInFailed as error:
        st.error(str(error))
    else:
        st.rerun()

st.caption("Staff answering a survey do not need an account: use the link you were sent.")
if context.settings.demo:
    st.info(
        "Demo accounts: lead@northbridge.example / demo-lead-pass, "
        "exec@northbridge.example / demo-exec-pass, admin@northbridge.example / demo-admin-pass"
    )
