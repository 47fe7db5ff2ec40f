<#
.SYNOPSIS
    Writes MAML help for every cmdlet of a binary module from the C# XML documentation file.
.DESCRIPTION
    platyPS is not available here, so the build generates MAML itself. Text comes from the XML doc
    comments of each cmdlet class: <summary> (the synopsis), <remarks> (the description, one <para>
    per paragraph), <example> (<code> plus <para> remarks), and each parameter property's <summary>.
    Names, types, positions, pipeline input and parameter sets come from the imported cmdlets, so the
    help never disagrees with the code. Run it in a fresh pwsh: it imports the module.
#>
param(
    [Parameter(Mandatory)] [string] $ManifestPath,
    [Parameter(Mandatory)] [string] $DocumentationPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$module = Import-Module $ManifestPath -PassThru -Force
[xml] $doc = Get-Content -Raw $DocumentationPath
$members = @{}
foreach ($member in $doc.doc.members.member) { $members[$member.name] = $member }

function Get-Text([System.Xml.XmlNode] $node) {
    if ($null -eq $node) { return '' }
    # <see cref="T:Foo.Bar"/> and <c>x</c> read as their names.
    $text = ($node.InnerXml -replace '<see cref="[A-Z]:(?:[\w.]+\.)?([\w`]+)"\s*/>', '$1' -replace '<[^>]+>', '')
    [System.Net.WebUtility]::HtmlDecode(($text -replace '\s+', ' ').Trim())
}
function Get-Paragraphs([System.Xml.XmlNode] $node) {
    if ($null -eq $node) { return @() }
    $paras = @($node.SelectNodes('para'))
    if ($paras.Count -eq 0) { return @(Get-Text $node) }
    return @($paras | ForEach-Object { Get-Text $_ } | Where-Object { $_ })
}
function Esc([string] $s) { [System.Security.SecurityElement]::Escape($s) }
function Para([string[]] $paras) { ($paras | ForEach-Object { "<maml:para>$(Esc $_)</maml:para>" }) -join '' }

function Get-ParameterDoc([System.Type] $type, [string] $name) {
    for ($t = $type; $null -ne $t; $t = $t.BaseType) {
        $m = $members["P:$($t.FullName).$name"]
        if ($m) { return @(Get-Paragraphs $m.SelectSingleNode('summary')) }
    }
    return @()
}

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
$out = [System.Text.StringBuilder]::new()
[void] $out.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
[void] $out.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
$missing = @()
foreach ($command in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $type = $command.ImplementingType
    $typeDoc = $members["T:$($type.FullName)"]
    if (-not $typeDoc) { $missing += $command.Name; continue }
    $summary = $typeDoc.SelectSingleNode('summary')
    $synopsis = Get-Text ($summary.SelectSingleNode('para') ?? $summary)
    $description = @(Get-Paragraphs $typeDoc.SelectSingleNode('remarks'))
    [void] $out.AppendLine('<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    [void] $out.AppendLine("<command:details><command:name>$($command.Name)</command:name><command:verb>$($command.Verb)</command:verb><command:noun>$($command.Noun)</command:noun><maml:description>$(Para $synopsis)</maml:description></command:details>")
    [void] $out.AppendLine("<maml:description>$(Para $description)</maml:description>")

    $parameters = $command.Parameters.Values | Where-Object { $_.Name -notin $common }
    [void] $out.AppendLine('<command:syntax>')
    foreach ($set in $command.ParameterSets) {
        [void] $out.AppendLine("<command:syntaxItem><maml:name>$($command.Name)</maml:name>")
        foreach ($p in ($set.Parameters | Where-Object { $_.Name -notin $common })) {
            $position = if ($p.Position -ge 0) { $p.Position } else { 'named' }
            $value = if ($p.ParameterType -eq [switch]) { '' } else { "<command:parameterValue required=`"true`">$(Esc $p.ParameterType.Name)</command:parameterValue>" }
            [void] $out.AppendLine("<command:parameter required=`"$($p.IsMandatory.ToString().ToLower())`" position=`"$position`" pipelineInput=`"$($p.ValueFromPipeline -or $p.ValueFromPipelineByPropertyName)`"><maml:name>$($p.Name)</maml:name>$value</command:parameter>")
        }
        [void] $out.AppendLine('</command:syntaxItem>')
    }
    [void] $out.AppendLine('</command:syntax>')

    [void] $out.AppendLine('<command:parameters>')
    foreach ($p in ($parameters | Sort-Object Name)) {
        $text = @(Get-ParameterDoc $type $p.Name)
        if ($text.Count -eq 0) { $missing += "$($command.Name) -$($p.Name)" }
        $attributes = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $required = [bool]($attributes | Where-Object Mandatory)
        $positions = @($attributes | Where-Object { $_.Position -ge 0 } | ForEach-Object Position)
        $position = if ($positions) { $positions[0] } else { 'named' }
        $pipeline = @(
            if ($attributes | Where-Object ValueFromPipeline) { 'true (ByValue)' }
            if ($attributes | Where-Object ValueFromPipelineByPropertyName) { 'true (ByPropertyName)' }
        ) -join ', '
        if (-not $pipeline) { $pipeline = 'false' }
        $aliases = if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }
        $value = if ($p.ParameterType -eq [switch]) { '' } else { "<command:parameterValue required=`"true`">$(Esc $p.ParameterType.Name)</command:parameterValue>" }
        [void] $out.AppendLine("<command:parameter required=`"$($required.ToString().ToLower())`" position=`"$position`" pipelineInput=`"$pipeline`" aliases=`"$aliases`" globbing=`"false`"><maml:name>$($p.Name)</maml:name><maml:description>$(Para $text)</maml:description>$value<dev:type><maml:name>$(Esc $p.ParameterType.FullName)</maml:name></dev:type><dev:defaultValue>None</dev:defaultValue></command:parameter>")
    }
    [void] $out.AppendLine('</command:parameters>')

    [void] $out.AppendLine('<command:returnValues>')
    foreach ($output in $command.OutputType) {
        [void] $out.AppendLine("<command:returnValue><dev:type><maml:name>$(Esc $output.Name)</maml:name></dev:type><maml:description><maml:para /></maml:description></command:returnValue>")
    }
    [void] $out.AppendLine('</command:returnValues>')

    [void] $out.AppendLine('<command:examples>')
    $n = 0
    foreach ($example in @($typeDoc.SelectNodes('example'))) {
        $n++
        $code = [System.Net.WebUtility]::HtmlDecode($example.SelectSingleNode('code').InnerText.Trim())
        $remarks = @($example.SelectNodes('para') | ForEach-Object { Get-Text $_ })
        [void] $out.AppendLine("<command:example><maml:title>--------- Example $n ---------</maml:title><dev:code>$(Esc $code)</dev:code><dev:remarks>$(Para $remarks)</dev:remarks></command:example>")
    }
    if ($n -eq 0) { $missing += "$($command.Name) (no example)" }
    [void] $out.AppendLine('</command:examples>')
    [void] $out.AppendLine('</command:command>')
}
[void] $out.AppendLine('</helpItems>')

if ($missing) { throw "Help is missing for: $($missing -join '; '). Add XML doc comments to the cmdlet classes." }
New-Item -ItemType Directory -Force -Path (Split-Path $OutputPath) | Out-Null
[System.IO.File]::WriteAllText($OutputPath, $out.ToString())
Write-Host "Help: $OutputPath ($(@(Get-Command -Module $module.Name).Count) cmdlets)"
