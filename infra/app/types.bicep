// Types shared by main.bicep and its modules (compile-time imports).

@export()
@description('Autoscale maximum RU/s of each hot container.')
type hotContainerThroughput = {
  @description('audit: one entry written per request on personal data (P5, P16).')
  @minValue(1000)
  audit: int

  @description('records: assessments, evaluations and grades.')
  @minValue(1000)
  records: int

  @description('directory: students, users, groups and erasure records, read on almost every request.')
  @minValue(1000)
  directory: int

  @description('usage: usage events recorded per request (P7, P10).')
  @minValue(1000)
  usage: int
}
