"""Formatting records for people: the terminal summary and the report (gtsummary 2's split:
every number comes from a record; nothing here computes one).

* :mod:`.formatting` number formats and plain tables; :mod:`.summary` the terminal summary;
* :mod:`.document` the format-neutral report document; :mod:`.build` a run -> document
  (with :mod:`.summary_table`, :mod:`.forest`, :mod:`.endpoint_section`, :mod:`.methods`);
* :mod:`.renderers` the built-in formats, registered through the
  ``mdsrs_register_renderers`` hook: :mod:`.html`, :mod:`.word`, :mod:`.markdown`,
  :mod:`.data` (CSV); :mod:`.write` writes the formats asked for;
* :mod:`.style` the figures' publication defaults.
"""
