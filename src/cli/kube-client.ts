// The two names the CLI needs from @kubernetes/client-node, imported by name so the bundler keeps only them:
// a dynamic `import('@kubernetes/client-node')` takes the whole namespace (every generated API class, ~8 MB
// of code), and because the operator shares that chunk, it loaded all of it at start (about 35 MB of RSS).
export { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
