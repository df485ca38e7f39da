enum ArchiverPlaceholder {}
