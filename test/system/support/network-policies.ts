// Which connections a set of Kubernetes NetworkPolicies allows, evaluated as the API defines it
// (networking.k8s.io/v1): a pod selected by no policy of a direction is open in that direction;
// a selected pod allows what any rule of any policy selecting it allows; a connection needs both
// the sender's egress and the receiver's ingress. Enough of the API for docker/k8s: matchLabels
// selectors, namespace and pod selectors (alone or together), TCP/UDP ports given by number.

export interface Labels {
  [key: string]: string;
}

/** A pod (or a stand-in for traffic from outside the namespace) and the ports it listens on. */
export interface Peer {
  name: string;
  namespace: Labels;
  pod: Labels;
  /** Ports it accepts connections on, as `TCP/8000`. */
  ports: string[];
  /** Whether the policies under test govern this peer's traffic (they do only inside their namespace). */
  governed: boolean;
}

interface Selector {
  matchLabels?: Labels;
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string };
}
interface PolicyPort {
  protocol?: string;
  port?: number;
}
interface Rule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
export interface NetworkPolicySpec {
  podSelector: Selector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

/** The label Kubernetes puts on every namespace, naming it. */
export const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

function matches(selector: Selector | undefined, labels: Labels): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** Does a rule's peer list admit `other`, seen from a pod in namespace `home`? */
function admits(peers: PolicyPeer[] | undefined, other: Peer, home: Labels): boolean {
  if (peers === undefined || peers.length === 0) return true;
  return peers.some((peer) => {
    if (peer.ipBlock) return !other.governed;
    const namespaceOk = peer.namespaceSelector
      ? matches(peer.namespaceSelector, other.namespace)
      : other.namespace[NAMESPACE_NAME] === home[NAMESPACE_NAME];
    return namespaceOk && (peer.podSelector ? matches(peer.podSelector, other.pod) : true);
  });
}

function portAllowed(ports: PolicyPort[] | undefined, port: string): boolean {
  if (ports === undefined || ports.length === 0) return true;
  const [protocol, number] = port.split('/');
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || String(p.port) === number));
}

function allowedOneWay(
  policies: NetworkPolicySpec[],
  direction: 'Ingress' | 'Egress',
  self: Peer,
  other: Peer,
  port: string,
): boolean {
  if (!self.governed) return true;
  const selecting = policies.filter(
    (policy) => matches(policy.podSelector, self.pod) && (policy.policyTypes ?? ['Ingress']).includes(direction),
  );
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    ((direction === 'Ingress' ? policy.ingress : policy.egress) ?? []).some(
      (rule) =>
        admits(direction === 'Ingress' ? rule.from : rule.to, other, self.namespace) && portAllowed(rule.ports, port),
    ),
  );
}

/** Every connection `sender -> receiver:port` the policies allow, as text, sorted. */
export function allowedConnections(policies: NetworkPolicySpec[], peers: Peer[]): string[] {
  const allowed: string[] = [];
  for (const sender of peers)
    for (const receiver of peers) {
      if (sender === receiver) continue;
      for (const port of receiver.ports) {
        if (!receiver.governed && !sender.governed) continue;
        if (
          allowedOneWay(policies, 'Egress', sender, receiver, port) &&
          allowedOneWay(policies, 'Ingress', receiver, sender, port)
        )
          allowed.push(`${sender.name} -> ${receiver.name}:${port}`);
      }
    }
  return allowed.sort();
}
