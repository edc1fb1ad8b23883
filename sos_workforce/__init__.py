"""sos-workforce: run and measure a Signs of Safety implementation.

The package holds every rule (models, services, scoring, suppression, exports). It never
imports streamlit: pages in ``pages/`` gather input, call services here and draw.
"""

__version__ = "0.1.0"
