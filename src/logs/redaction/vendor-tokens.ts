import type { Finding, Rule } from './finding.ts';

/**
 * Credentials that carry their vendor's own prefix or shape, after the formats gitleaks' default rule set
 * (config/gitleaks.toml) knows. secretlint's preset covers a handful of vendors; these are the ones CI logs
 * also carry. Two deliberate differences from a repository scanner: no trailing word boundary, because in a
 * log a token is often glued to what follows it (`ghp_…%3D`, `…\n`, a cut), and shorter minimum tails than
 * the real lengths, so a token that a line limit cut in half is still recognised by its prefix.
 */
interface VendorToken {
  type: string;
  pattern: RegExp;
}

/** Not preceded by a character that could continue an identifier: `xghp_` is not a GitHub token. */
const B = String.raw`(?<![A-Za-z0-9_])`;

const TOKENS: readonly VendorToken[] = [
  { type: 'github-token', pattern: new RegExp(String.raw`${B}(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})`, 'g') },
  { type: 'gitlab-token', pattern: new RegExp(String.raw`${B}(?:glpat|glptt|gldt|glrt|glcbt|glimt|glsoat|glffct|gloas|glagent)-[A-Za-z0-9_-]{16,}|${B}GR1348941[A-Za-z0-9_-]{16,}`, 'g') },
  { type: 'google-api-key', pattern: new RegExp(String.raw`${B}AIza[0-9A-Za-z_-]{30,}`, 'g') },
  { type: 'google-oauth', pattern: new RegExp(String.raw`${B}(?:ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})`, 'g') },
  { type: 'slack-token', pattern: new RegExp(String.raw`${B}(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}`, 'g') },
  { type: 'stripe-key', pattern: new RegExp(String.raw`${B}(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})`, 'g') },
  { type: 'huggingface-token', pattern: new RegExp(String.raw`${B}(?:hf_|api_org_)[A-Za-z0-9]{20,}`, 'g') },
  { type: 'digitalocean-token', pattern: new RegExp(String.raw`${B}do[opr]_v1_[a-f0-9]{20,}`, 'g') },
  { type: 'terraform-token', pattern: /(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{20,}/g },
  { type: 'telegram-bot-token', pattern: /(?<![0-9])[0-9]{6,12}:AA[A-Za-z0-9_-]{30,}/g },
  { type: 'discord-webhook', pattern: /https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/webhooks\/[0-9]+\/[A-Za-z0-9_-]+/g },
  { type: 'jfrog-token', pattern: new RegExp(String.raw`${B}(?:AKCp[A-Za-z0-9]{20,}|cmVmd[A-Za-z0-9]{40,})`, 'g') },
  { type: 'sonar-token', pattern: new RegExp(String.raw`${B}sq[uap]_[a-f0-9]{20,}`, 'g') },
  { type: 'nuget-api-key', pattern: new RegExp(String.raw`${B}oy2[a-z0-9]{40,}`, 'g') },
  { type: 'crates-io-token', pattern: new RegExp(String.raw`${B}cio[A-Za-z0-9]{30,}`, 'g') },
  { type: 'doppler-token', pattern: new RegExp(String.raw`${B}dp\.(?:st|pt|ct|sa|scim|audit)\.[A-Za-z0-9_.-]{20,}`, 'g') },
  { type: 'asana-token', pattern: /(?<![0-9/])[0-9]\/[0-9]{10,20}(?:\/[0-9]{10,20})?:[a-f0-9]{20,}/g },
  { type: 'age-secret-key', pattern: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{20,}/g },
  { type: 'npm-token', pattern: new RegExp(String.raw`${B}npm_[A-Za-z0-9]{30,}`, 'g') },
  { type: 'pypi-token', pattern: new RegExp(String.raw`${B}pypi-[A-Za-z0-9_-]{40,}`, 'g') },
  { type: 'rubygems-token', pattern: new RegExp(String.raw`${B}rubygems_[a-f0-9]{40,}`, 'g') },
  { type: 'anthropic-api-key', pattern: new RegExp(String.raw`${B}sk-ant-(?:api|admin|sid)[0-9]{2}-[A-Za-z0-9_-]{20,}`, 'g') },
  { type: 'openai-api-key', pattern: new RegExp(String.raw`${B}sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,}(?![A-Za-z0-9_-]))`, 'g') },
  { type: 'groq-api-key', pattern: new RegExp(String.raw`${B}gsk_[A-Za-z0-9]{40,}`, 'g') },
  { type: 'sendgrid-api-key', pattern: new RegExp(String.raw`${B}SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{20,}`, 'g') },
  { type: 'mailgun-api-key', pattern: new RegExp(String.raw`${B}key-[a-f0-9]{32}`, 'g') },
  { type: 'shopify-token', pattern: new RegExp(String.raw`${B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{20,}`, 'g') },
  { type: 'postman-api-key', pattern: new RegExp(String.raw`${B}PMAK-[a-f0-9]{24}-[a-f0-9]{20,}`, 'g') },
  { type: 'linear-api-key', pattern: new RegExp(String.raw`${B}lin_(?:api|oauth)_[A-Za-z0-9]{30,}`, 'g') },
  { type: 'grafana-token', pattern: new RegExp(String.raw`${B}(?:glc_[A-Za-z0-9+/]{30,}={0,2}|glsa_[A-Za-z0-9]{20,}_[A-Fa-f0-9]{8})`, 'g') },
  { type: 'newrelic-key', pattern: new RegExp(String.raw`${B}NR(?:AK|JS|II)-[A-Za-z0-9]{20,}`, 'g') },
  { type: 'vault-token', pattern: new RegExp(String.raw`${B}hv[sbr]\.[A-Za-z0-9_-]{24,}`, 'g') },
  { type: 'pulumi-token', pattern: new RegExp(String.raw`${B}pul-[a-f0-9]{40}`, 'g') },
  { type: 'flyio-token', pattern: new RegExp(String.raw`${B}(?:fo1_[A-Za-z0-9_-]{30,}|fm[12][ar]?_[A-Za-z0-9+/=_-]{40,})`, 'g') },
  { type: 'atlassian-token', pattern: new RegExp(String.raw`${B}ATATT3[A-Za-z0-9_=-]{30,}`, 'g') },
  { type: 'databricks-token', pattern: new RegExp(String.raw`${B}dapi[a-f0-9]{32}(?:-[0-9])?`, 'g') },
  { type: 'dynatrace-token', pattern: new RegExp(String.raw`${B}dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{20,}`, 'g') },
  { type: 'square-token', pattern: new RegExp(String.raw`${B}(?:sq0(?:atp|csp)-[0-9A-Za-z_-]{22,}|EAAA[A-Za-z0-9_-]{60,})`, 'g') },
  { type: 'alibaba-access-key-id', pattern: new RegExp(String.raw`${B}LTAI[A-Za-z0-9]{20}`, 'g') },
  { type: 'azure-ad-client-secret', pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}/g },
  { type: 'buildkite-token', pattern: new RegExp(String.raw`${B}bkua_[a-f0-9]{40}`, 'g') },
  { type: 'supabase-token', pattern: new RegExp(String.raw`${B}sb[pv]_[a-f0-9]{40}`, 'g') },
  { type: 'docker-hub-token', pattern: new RegExp(String.raw`${B}dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}`, 'g') },
  { type: 'sentry-token', pattern: new RegExp(String.raw`${B}(?:sntrys_eyJ[A-Za-z0-9+/=_-]{40,}|sntryu_[a-f0-9]{64})`, 'g') },
  { type: 'prefect-token', pattern: new RegExp(String.raw`${B}pnu_[A-Za-z0-9]{36}`, 'g') },
  { type: 'planetscale-token', pattern: new RegExp(String.raw`${B}pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,}`, 'g') },
  { type: 'heroku-token', pattern: new RegExp(String.raw`${B}HRKU-[A-Za-z0-9_-]{40,}`, 'g') },
  { type: 'notion-token', pattern: new RegExp(String.raw`${B}ntn_[0-9]{11}[A-Za-z0-9]{30,}`, 'g') },
  { type: 'twilio-api-key', pattern: new RegExp(String.raw`${B}SK[0-9a-f]{32}(?![0-9a-f])`, 'g') },
  { type: 'onepassword-token', pattern: new RegExp(String.raw`${B}ops_eyJ[A-Za-z0-9+/]{100,}={0,3}`, 'g') },
  { type: 'mapbox-token', pattern: new RegExp(String.raw`${B}sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}`, 'g') },
  { type: 'circleci-token', pattern: new RegExp(String.raw`${B}CCIPAT_[A-Za-z0-9]{20,}_[a-f0-9]{20,}`, 'g') },
  { type: 'clojars-token', pattern: /(?<![A-Za-z0-9_])CLOJARS_[a-z0-9]{40,}/gi },
  { type: 'readme-api-key', pattern: new RegExp(String.raw`${B}rdme_[a-z0-9]{60,}`, 'g') },
  { type: 'aws-access-key-id', pattern: /(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z2-7]{16}(?![A-Z0-9])/g },
  { type: 'mailchimp-api-key', pattern: /(?<![A-Za-z0-9])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])/g },
  { type: 'firebase-server-key', pattern: new RegExp(String.raw`${B}AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{40,}`, 'g') },
  { type: 'braintree-token', pattern: /access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}/g },
  // A token as a URL's user (`https://<token>@host`, Sentry DSNs, `https://oauth2:<token>@` is the URL rule's).
  { type: 'url-credentials', pattern: /(?<=:\/\/)(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[a-z])[A-Za-z0-9_-]{24,}(?=@)/g },
  { type: 'authress-key', pattern: new RegExp(String.raw`${B}(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,}`, 'g') },
];

export const vendorTokens: Rule = (text) => {
  const findings: Finding[] = [];
  for (const { type, pattern } of TOKENS) {
    for (const match of text.matchAll(pattern)) {
      // AWS's documented example keys (`AKIAIOSFODNN7EXAMPLE`), as gitleaks allows them.
      if (type === 'aws-access-key-id' && match[0].endsWith('EXAMPLE')) continue;
      findings.push({ start: match.index, end: match.index + match[0].length, type });
    }
  }
  return findings;
};

/** Whether `value` starts like one of the vendor tokens above: a prefix left by a cut still names a secret. */
export function hasVendorPrefix(value: string): boolean {
  return /^(?:gh[pousr]_|github_pat_|glpat-|AIza|xox[abposr]-|xapp-|sk_live_|rk_live_|whsec_|hf_|do[opr]_v1_|AKCp|sq[uap]_|npm_|pypi-|sk-|dp\.|dckr_pat_|hv[sbr]\.|SG\.|eyJ)/.test(value);
}
