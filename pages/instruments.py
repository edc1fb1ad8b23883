"""Implementation leads: the survey instruments — list, preview as staff see them, publish
a new version from a file, download. A lead's instruments belong to their organisation and
are offered to it only; the shared library (offered to every organisation) is published by
administrators, who can also publish an organisation's instrument there."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.access import list_organisations
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput, SosError
from sos_workforce.surveys import (
    AnswerValue,
    Identity,
    InstrumentVersionSummary,
    ScaleItem,
    dump_instrument,
    instrument_definition,
    list_instrument_versions,
    publish_instrument,
    share_instrument,
)
from survey_form import FormActions, render_survey
from ui import (
    audited_download,
    require_actor,
    require_organisation,
    runtime,
    selected_organisation,
)

SHARED_NOTICE_KEY = "instrument_shared_notice"

context = runtime()
actor = require_actor(Role.LEAD)
# A lead works in their organisation: its own instruments and the shared library. An
# administrator sees every organisation's (to publish one to the library); a download is
# recorded in the organisation being worked on (none chosen: across organisations).
organisation_id = selected_organisation() if actor.is_admin else require_organisation()
organisation_names = {o.id: o.name for o in list_organisations(context.db, actor)}
own_name = organisation_names.get(organisation_id or 0, "your organisation")

st.title("Survey instruments")
st.write(
    "Each instrument is a versioned file. A changed wording or scale is published as a new "
    "version; results are compared across waves only for questions whose code and wording "
    "are unchanged."
)
if actor.is_admin:
    st.caption(
        "The shared library is offered to every organisation; an instrument an organisation "
        "publishes is offered to that organisation only, until you publish it to the library."
    )
else:
    st.caption(
        f"You see the shared library, offered to every organisation, and the instruments of "
        f"{own_name}, offered to it only."
    )
notice = st.session_state.pop(SHARED_NOTICE_KEY, None)
if isinstance(notice, str):
    st.success(notice)
versions = list_instrument_versions(context.db, actor, None if actor.is_admin else organisation_id)
tab_names = ["Installed", "Preview", "Publish a new version"]
if actor.is_admin:
    tab_names.append("Shared library")
tabs = st.tabs(tab_names)
installed_tab, preview_tab, publish_tab = tabs[:3]

with installed_tab:
    if not versions:
        st.info("No instruments are installed yet. Publish one in the 'Publish a new version' tab.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Instrument": v.title,
                        "Code": v.code,
                        "Version": v.version,
                        "Questions": v.item_count,
                        "Offered to": v.offered_to,
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
            placeholder="—",
        )

with preview_tab:
    if versions:
        chosen = st.selectbox(
            "Instrument", versions, format_func=lambda v: v.label, key="preview_instrument"
        )
        definition = instrument_definition(context.db, actor, chosen.id)
        audited_download(
            "Download this version (YAML)",
            dump_instrument(definition).encode("utf-8"),
            kind="instrument_yaml",
            organisation_id=organisation_id,
            target=f"instrument:{definition.code}:v{definition.version}",
            count=len(definition.items),
            file_name=f"{definition.code}_v{definition.version}.yaml",
            mime="application/yaml",
            key="download_instrument",
            icon=":material/download:",
        )
        scales = sum(isinstance(item, ScaleItem) for item in definition.items)
        reported = (
            "reported as a mean with its distribution"
            if definition.reporting.summary == "mean"
            else "reported in bands"
        )
        collected = (
            "collected all year through a standing link and paper forms (Conference feedback "
            "forms page)"
            if definition.collection == "continuous"
            else "run in survey waves"
        )
        st.caption(
            f"{len(definition.sections)} section(s), {len(definition.items)} question(s), "
            f"{scales} {reported} ({definition.range_words()}); answered by "
            f"{definition.audience_words}; {collected}."
        )
        st.info("This is a preview, exactly as respondents see it. Nothing is saved or sent.")
        with st.container(border=True):
            st.header(definition.title)
            if definition.intro:
                st.write(definition.intro)

            def _nothing(answers: dict[str, AnswerValue], section: int) -> None:
                return None

            def _preview_send(answers: dict[str, AnswerValue], identity: Identity | None) -> None:
                st.success(f"Preview only: {len(answers)} answer(s) would have been sent.")

            render_survey(
                definition,
                {},
                FormActions(_nothing, _preview_send),
                scope=f"preview-{chosen.id}",
            )

with publish_tab:
    st.write(
        "Upload an instrument file (YAML). The format is described in `surveys/README.md`; "
        "download an installed version to start from."
    )
    publish_to: int | None = organisation_id
    if actor.is_admin:
        places: list[int | None] = [None]
        if organisation_id is not None:
            places.append(organisation_id)
        publish_to = st.radio(
            "Publish to",
            places,
            format_func=lambda place: (
                "The shared library (offered to every organisation)"
                if place is None
                else f"{organisation_names.get(place, 'The organisation')} only"
            ),
            key="instrument_publish_to",
        )
    else:
        st.caption(
            f"What you publish is offered to "
            f"{own_name} only. An "
            "administrator can publish it to the shared library for every organisation."
        )
    upload = st.file_uploader("Instrument file", type=["yaml", "yml"], key="instrument_upload")
    if upload is not None and st.button("Publish", type="primary", key="publish_instrument"):
        try:
            published = publish_instrument(
                context.db,
                actor,
                upload.getvalue().decode("utf-8"),
                organisation_id=publish_to,
                source=upload.name,
            )
        except UnicodeDecodeError:
            st.error(f"{upload.name}: the file is not UTF-8 text.")
        except InvalidInput as problem:
            st.error("The file was not published. Fix these problems and upload it again:")
            st.code("\n".join(problem.problems or [str(problem)]), language=None)
        except SosError as error:
            st.error(str(error))
        else:
            st.success(
                f"Published {published.label}. Offered to: {published.offered_to}. "
                "It can now be chosen for a wave."
            )

if actor.is_admin:
    with tabs[3]:
        owned: dict[int, InstrumentVersionSummary] = {}
        for v in versions:
            if not v.shared:
                owned[v.instrument_id] = v  # the latest version (listed in order)
        if not owned:
            st.info("Every instrument is in the shared library.")
        else:
            st.write(
                "Publish an organisation's instrument, with all its versions, to the shared "
                "library: every organisation is then offered it, and authorities using it "
                "can be compared in benchmarks. Only administrators then publish its new "
                "versions. This cannot be undone here."
            )
            chosen_owned = st.selectbox(
                "Instrument",
                list(owned.values()),
                format_func=lambda v: f"{v.title} ({v.code}), from {v.owner}",
                key="share_instrument_choice",
            )
            confirmed = st.checkbox(
                f"Yes, offer '{chosen_owned.title}' to every organisation",
                key="share_instrument_confirm",
            )
            if st.button(
                "Publish to the shared library",
                type="primary",
                disabled=not confirmed,
                key="share_instrument",
            ):
                try:
                    share_instrument(context.db, actor, chosen_owned.instrument_id)
                except SosError as error:
                    st.error(str(error))
                else:
                    st.session_state[SHARED_NOTICE_KEY] = (
                        f"'{chosen_owned.title}' is now in the shared library, offered to "
                        "every organisation."
                    )
                    st.session_state.pop("share_instrument_confirm", None)
                    st.rerun()
