"""Letters on paper (文书): decisions, notices and the credit commitment as PDF.

:mod:`.facts` says which event makes which letter and what facts of it the check code binds;
:mod:`.content` turns the events and the registry's names into a letter's text (pure);
:mod:`.code` is the check code; :mod:`.render` lays the text out as a PDF (fpdf2, segno).
"""
