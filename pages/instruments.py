"""Implementation leads: the survey instruments — list, preview as staff see them, publish
a new version from a file, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.surveys import (
    AnswerValue,
    Identity,
    ScaleItem,
    dump_instrument,
    instrument_definition,
    list_instrument_versions,
    publish_instrument,
)
from survey_form import FormActions, render_survey
from ui import (
    audited_download,
    require_actor,
    require_organisation,
    runtime,
    selected_organisation,
)

context = runtime()
actor = require_actor(Role.LEAD)
# Instruments are shared; a download is recorded in the organisation being worked on (an
# administrator may have none chosen: theirs is recorded across organisations).
organisation_id = selected_organisation() if actor.is_admin else require_organisation()

st.title("Survey instruments")
st.write(
    "Each instrument is a versioned file. A changed wording or scale is published as a new "
    "version; results are compared across waves only for questions whose code and wording "
    "are unchanged."
)
versions = list_instrument_versions(context.db, actor)
installed_tab, preview_tab, publish_tab = st.tabs(["Installed", "Preview", "Publish a new version"])

with installed_tab:
    if not versions:
        st.info("No instruments are installed yet. Publish one in the last tab.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Instrument": v.title,
                        "Code": v.code,
                        "Version": v.version,
                        "Questions": v.item_count,
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
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
    upload = st.file_uploader("Instrument file", type=["yaml", "yml"], key="instrument_upload")
    if upload is not None and st.button("Publish", type="primary", key="publish_instrument"):
        try:
            published = publish_instrument(
                context.db, actor, upload.getvalue().decode("utf-8"), source=upload.name
            )
        except UnicodeDecodeError:
            st.error(f"{upload.name}: the file is not UTF-8 text.")
        except InvalidInput as problem:
            st.error("The file was not published. Fix these problems and upload it again:")
            st.code("\n".join(problem.problems or [str(problem)]), language=None)
        else:
            st.success(f"Published {published.label}. It can now be chosen for a wave.")
