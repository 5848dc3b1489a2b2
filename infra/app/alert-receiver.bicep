// Outside a dev environment an alert must reach someone. main.bicep deploys this module only
// when environmentType is not 'dev', and ARM checks @minLength before the module runs, so a
// test or production deployment without ENGAGE_ALERT_EMAIL fails with this parameter named
// instead of creating an action group that notifies nobody.

@description('E-mail address the action group notifies. Required outside dev: set ENGAGE_ALERT_EMAIL (azd env set ENGAGE_ALERT_EMAIL ops@example.no).')
@minLength(3)
param alertEmailAddress string

@description('The address that was checked; the action group uses it.')
output alertEmailAddress string = alertEmailAddress
