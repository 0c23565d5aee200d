"""Invoice documents: the PDF (WeasyPrint, PDF/A-3) and the Factur-X EN 16931 XML it carries."""
