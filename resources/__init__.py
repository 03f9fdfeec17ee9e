"""Files the app ships: icons, style sheets, lexicons, report templates."""
