"""Documents: the PDFs the platform produces (convention, sign-off records, amendments,
reports), rendered with WeasyPrint, sealed with pyHanko, stored and verifiable by anyone."""
