"""The Streamlit app's code (the only library package that imports streamlit, with ``explorer/Home.py``).

``state`` builds each page's context from the sidebar, ``cache`` loads and computes once per server (``memo`` bounds
it in bytes), ``views`` draws the shared where/when views, and one module per page (``browse``, ``upload``,
``perturbation``, ``pointing``, ``compare``, ``methods``, ``home``; ``intro`` is Home's light first part) holds what
that page shows. ``analysis``, ``samples``, ``figures``, ``cards``, ``counterfactuals``, ``confine`` and ``stored``
(samples known by their stored features) are pure logic without streamlit.
"""
