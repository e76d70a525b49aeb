// The console's entry: routes under /console (react-router), server state through TanStack Query.
// Pages load on demand, so signing in downloads only the shell.
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { I18nProvider } from './i18n.tsx';
import { RequireSession, useSession } from './session.tsx';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/ui.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { SoukProblemError, setToken } from './api.ts';
import './style.css';

/** The page of each section, loaded on demand. */
const sectionPages = {
  '': () => import('./pages/Dashboard.tsx'),
  products: () => import('./pages/Products.tsx'),
  orders: () => import('./pages/Orders.tsx'),
  inventory: () => import('./pages/Inventory.tsx'),
  customers: () => import('./pages/Customers.tsx'),
  coupons: () => import('./pages/Coupons.tsx'),
  'flash-sales': () => import('./pages/FlashSales.tsx'),
  events: () => import('./pages/Events.tsx'),
  webhooks: () => import('./pages/Webhooks.tsx'),
  admin: () => import('./pages/Admin.tsx'),
  live: () => import('./pages/LiveRooms.tsx'),
  risk: () => import('./pages/Risk.tsx'),
  review: () => import('./pages/ReviewQueue.tsx'),
};
// A section opened cold (a link, a reload): its page's code is fetched now, beside the session check,
// instead of after it; the lazy component below gets the same module.
const opening = /^\/console\/p\/[^/]+(?:\/([^/]+))?\/?$/.exec(location.pathname)?.[1] ?? '';
if (Object.hasOwn(sectionPages, opening)) void sectionPages[opening as keyof typeof sectionPages]();

const Dashboard = lazy(sectionPages['']);
const Products = lazy(sectionPages.products);
const ProductEditor = lazy(() => import('./pages/ProductEditor.tsx'));
const ProductImport = lazy(() => import('./pages/ProductImport.tsx'));
const Orders = lazy(sectionPages.orders);
const OrderDetail = lazy(() => import('./pages/OrderDetail.tsx'));
const Inventory = lazy(sectionPages.inventory);
const Customers = lazy(sectionPages.customers);
const CustomerDetail = lazy(() => import('./pages/CustomerDetail.tsx'));
const Coupons = lazy(sectionPages.coupons);
const FlashSales = lazy(sectionPages['flash-sales']);
const Events = lazy(sectionPages.events);
const Webhooks = lazy(sectionPages.webhooks);
const Admin = lazy(sectionPages.admin);
const LiveRooms = lazy(sectionPages.live);
const Risk = lazy(sectionPages.risk);
const ReviewQueue = lazy(sectionPages.review);
const EventDetail = lazy(() => import('./pages/EventDetail.tsx'));
const DeliveryDetail = lazy(() => import('./pages/DeliveryDetail.tsx'));

/** A session that expired mid-way sends the user back to sign in instead of a wall of errors. */
function onApiError(error: unknown) {
  if (error instanceof SoukProblemError && error.status === 401) {
    setToken(undefined);
    window.location.assign('/console/sign-in');
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onApiError }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal (404 of another platform's order, 403) will not change on a retry.
      retry: (count, error) => !(error instanceof SoukProblemError && error.status < 500) && count < 2,
    },
  },
});

function Home() {
  const session = useSession();
  const first = session.platforms[0];
  return first ? <Navigate to={`/p/${first.slug}`} replace /> : <Layout />;
}

function App() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route
          path="/"
          element={
            <RequireSession>
              <Home />
            </RequireSession>
          }
        />
        <Route
          path="/p/:platform"
          element={
            <RequireSession>
              <Layout />
            </RequireSession>
          }
        >
          <Route index element={<Dashboard />} />
          <Route path="products" element={<Products />} />
          <Route path="products/new" element={<ProductEditor />} />
          <Route path="products/import" element={<ProductImport />} />
          <Route path="products/:productId" element={<ProductEditor />} />
          <Route path="orders" element={<Orders />} />
          <Route path="orders/:orderId" element={<OrderDetail />} />
          <Route path="inventory" element={<Inventory />} />
          <Route path="customers" element={<Customers />} />
          <Route path="customers/:customerId" element={<CustomerDetail />} />
          <Route path="coupons" element={<Coupons />} />
          <Route path="flash-sales" element={<FlashSales />} />
          <Route path="events" element={<Events />} />
          <Route path="events/:eventId" element={<EventDetail />} />
          <Route path="webhooks" element={<Webhooks />} />
          <Route path="webhooks/deliveries/:deliveryId" element={<DeliveryDetail />} />
          <Route path="review" element={<ReviewQueue />} />
          <Route path="admin" element={<Admin />} />
          <Route path="live" element={<LiveRooms />} />
          <Route path="risk" element={<Risk />} />
        </Route>
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Suspense>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter basename="/console">
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </I18nProvider>
  </StrictMode>,
);
